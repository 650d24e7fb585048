# The notes API: GET /healthz, GET /notes (JSON: the notes and the hostname),
# POST /notes (the body is one note), kept in /data/notes.txt.
use strict; use warnings; use IO::Socket::INET;
my $file = "/data/notes.txt";
my $s = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => 8090, Listen => 16, ReuseAddr => 1) or die "listen: $!";
$SIG{PIPE} = "IGNORE"; $SIG{TERM} = sub { exit 0 };
sub reply { my ($c, $status, $body) = @_; print $c "HTTP/1.0 $status\r\nContent-Type: application/json\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body"; }
sub quote { my $t = shift; $t =~ s/(["\\])/\\$1/g; $t =~ s/([\x00-\x1f])/sprintf("\\u%04x", ord $1)/ge; return "\"$t\""; }
while (my $c = $s->accept) {
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" }; alarm 2;
        my $line = <$c> // die "no request\n";
        my ($method, $path) = split / /, $line;
        my $length = 0;
        while (my $h = <$c>) { last if $h =~ /^\r?\n$/; $length = $1 if $h =~ /^Content-Length:\s*(\d+)/i; }
        if ($path eq "/healthz") { reply($c, "200 OK", "{\"ok\":true}"); }
        elsif ($path eq "/notes" && $method eq "POST") {
            read($c, my $body, $length) if $length; $body //= ""; $body =~ s/\n/ /g;
            open(my $f, ">>", $file) or die "open: $!"; print $f "$body\n"; close $f;
            reply($c, "201 Created", "{\"saved\":true}");
        } elsif ($path eq "/notes") {
            my @notes; if (open(my $f, "<", $file)) { chomp(@notes = <$f>); close $f; }
            reply($c, "200 OK", "{\"notes\":[" . join(",", map { quote($_) } @notes) . "],\"hostname\":" . quote(do { open(my $h, "<", "/etc/hostname"); my $n = <$h> // ""; chomp $n; $n }) . "}");
        } else { reply($c, "404 Not Found", "{}"); }
        alarm 0;
    };
    close $c;
}
