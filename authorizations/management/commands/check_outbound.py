"""Tell whether the console may call each URL, and where; nothing is sent."""

from django.core.management.base import BaseCommand, CommandError

from authorizations.http import (
    OutboundError,
    check_destination,
    check_url,
    loggable_url,
)


class Command(BaseCommand):
    help = (
        "Check URLs against the rules of the console's outgoing requests (the "
        "URL, the addresses its host resolves to, OUTBOUND_ALLOWED_NETWORKS) "
        "and print, for each, 'allowed <address>' or 'refused: <reason>'. "
        "Nothing is sent. Exits with status 1 if any URL is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="+", metavar="URL")

    def handle(self, *args, urls, **options):
        refused = 0
        for url in urls:
            try:
                check_url(url)
                address = check_destination(url)
            except OutboundError as error:
                refused += 1
                reason = error.message.removeprefix("refused: ")
                self.stdout.write(f"{loggable_url(url)}  refused: {reason}")
            else:
                self.stdout.write(f"{loggable_url(url)}  allowed {address}")
        if refused:
            raise CommandError(f"{refused} of {len(urls)} URLs refused.", returncode=1)
