"""Attendance at the door: who came to each session of an event, and who did not."""
