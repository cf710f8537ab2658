"""Slack listeners and HTTP routes: acknowledge fast, hand work to `bot`."""
