"""The planner's business rules, one module per rule family."""
