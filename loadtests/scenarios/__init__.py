"""One module per flow: each holds the flow as a function of a user, and a user that runs it."""
