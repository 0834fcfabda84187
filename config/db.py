"""Database helpers shared by the apps."""

from django.db import DEFAULT_DB_ALIAS, connections


def prepared_cursor():
    """A cursor for statements that run on every review (the queue, the rating's read and
    write): on PostgreSQL one that sends the parameters apart from the statement (psycopg's
    server-side binding), so that psycopg prepares a statement once it has run five times on a
    connection and PostgreSQL stops planning it on every request; elsewhere Django's own.

    Server-side binding infers a parameter's type from where it is used: a statement that uses
    one where PostgreSQL cannot tell (a select list) must cast it. Django's connections keep
    client-side binding: some of the ORM's queries need it.
    """
    # The connection looked up once: each attribute of django.db.connection looks it up again.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)
