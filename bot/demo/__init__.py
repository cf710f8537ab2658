"""`containbot demo`: a whole incident on loopback, no Slack workspace or cloud."""
