"""``python -m benchling_webhook`` runs the CLI."""

from benchling_webhook.cli.app import main

if __name__ == "__main__":
    main()
