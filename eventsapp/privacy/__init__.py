"""Participants' personal data: retention (`flask gdpr anonymise`) and self-erasure."""
