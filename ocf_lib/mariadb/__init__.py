"""MariaDB for the `mariadb` agent: the server process, SQL over the local socket, GTID positions
and replica health (pure parsers and decisions, so real outputs become test cases)."""
