"""Attendee-list exports (CSV, XLSX, PDF sign-in sheet) and the audit log of them."""
