"""Pacte Assistant: offline assistant for the Pacte des solidarités (contrats locaux des solidarités 2024-2027)."""

__version__ = "0.1.0"
