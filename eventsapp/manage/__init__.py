"""Organisers run their events. (The screens come with the staff issue; the services that
change sessions and events, and notify those they concern, are here.)"""
