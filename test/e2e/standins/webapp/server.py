# GET / -> JSON: a visit count kept in STANDIN_DATA (a volume's persistence
# shows), and a real login to each backend the env names (the sample's own
# variables). 200 when every backend answered, 503 with the errors otherwise.
import json, os, socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ["STANDIN_NAME"]
DATA = os.environ["STANDIN_DATA"]
PORT = int(os.environ["STANDIN_PORT"])


def postgres():
    import psycopg2
    host, _, port = os.environ["DB_HOST"].partition(":")
    with psycopg2.connect(host=host, port=int(port or 5432), user=os.environ["DB_USER"], password=os.environ["DB_PASSWD"], dbname=os.environ["DB_NAME"], connect_timeout=3) as c:
        cur = c.cursor()
        cur.execute("select current_user, current_database()")
        return dict(zip(["user", "database"], cur.fetchone()))


def mysql():
    import pymysql
    c = pymysql.connect(host=os.environ["MYSQL_HOST"], user=os.environ["MYSQL_USER"], password=os.environ["MYSQL_PASSWORD"], database=os.environ["MYSQL_DATABASE"], connect_timeout=3)
    try:
        cur = c.cursor()
        cur.execute("select current_user(), database(), @@global.tx_isolation, @@global.binlog_format")
        return dict(zip(["user", "database", "isolation", "binlogFormat"], cur.fetchone()))
    finally:
        c.close()


def redis():
    with socket.create_connection((os.environ["REDIS_HOST"], 6379), timeout=3) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).decode().strip()


CHECKS = {"postgres": ("DB_HOST", postgres), "mysql": ("MYSQL_HOST", mysql), "redis": ("REDIS_HOST", redis)}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body, ok = {"app": NAME, "hostname": socket.gethostname()}, True
        for key, (env, check) in CHECKS.items():
            if os.environ.get(env):
                try:
                    body[key] = check()
                except Exception as e:  # a backend that does not answer (yet)
                    body[key], ok = {"error": f"{type(e).__name__}: {e}"}, False
        counter = os.path.join(DATA, "standin-visits")
        visits = int(open(counter).read()) + 1 if os.path.exists(counter) else 1
        with open(counter, "w") as f:
            f.write(str(visits))
        body["visits"] = visits
        data = json.dumps(body).encode()
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


os.makedirs(DATA, exist_ok=True)
ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
