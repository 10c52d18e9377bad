"""Imperative shells beside `relance.runner`, one per listening command: import a bank statement,
read the reply-to mailbox, send the manager's digest. Each gathers, calls the pure core, applies."""
