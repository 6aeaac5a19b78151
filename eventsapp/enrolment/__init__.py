"""Enrolment without an account: the form, eligibility, seats, the manage link."""
