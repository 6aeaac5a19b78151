"""Staff accounts: log in and out, passwords, and who may see and do what."""
