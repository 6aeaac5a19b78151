"""Coaches (omavalmentajat): their clients, and enrolling them on the client's behalf."""
