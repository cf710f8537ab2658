"""Slack-facing parts: the Web API client, wording, Block Kit builders."""
