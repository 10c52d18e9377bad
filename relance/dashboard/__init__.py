"""Managers' figures: KPIs, stage effectiveness, the Synthèse and Historique layouts."""
