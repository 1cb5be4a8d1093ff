"""Figures and lists for coordinators, shared by the web console and the Telegram /stats."""
