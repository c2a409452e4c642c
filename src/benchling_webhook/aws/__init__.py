"""Thin typed helpers over boto3 shared by setup, stack and ops."""
