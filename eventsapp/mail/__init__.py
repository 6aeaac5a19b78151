"""Mail: the outbox (queue in the transaction, send after commit), the MIME shape of
invitations, and which mail each change of an enrolment or an event causes."""
