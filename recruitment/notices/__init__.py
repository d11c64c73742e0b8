"""Email to the experimenter: what each notice says (messages), how mail is sent (mail), and
the outbox that sends each notice once, after commit, from a task (outbox)."""
