"""The public calendar: the network's upcoming events, one event's page, the privacy notice."""
