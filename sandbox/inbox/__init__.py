"""The world's simulated SMS and e-mail inbox: what the sandbox "sends" a resident lands here."""
