"""Text messages: phone numbers in E.164, GSM-7 segments, and the gateways that send them."""
