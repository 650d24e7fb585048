// The server both files e2e suites (Docker and Kubernetes) deploy as an inline
// file of mode 0755: a Perl HTTP responder on 8080 that answers every request
// with /etc/files-e2e/message.txt, the config file under test, read anew each time.
export const FILES_SERVER = `#!/usr/bin/perl
use strict;
use IO::Socket::INET;
$SIG{PIPE} = "IGNORE";
my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "listen: $!";
while (my $c = $s->accept) {
    while (my $l = <$c>) { last if $l =~ /^\\r?\\n$/; }
    open(my $f, "<", "/etc/files-e2e/message.txt") or die "open: $!";
    my $body = do { local $/; <$f> };
    close $f;
    print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: " . length($body) . "\\r\\n\\r\\n" . $body;
    close $c;
}
`;
