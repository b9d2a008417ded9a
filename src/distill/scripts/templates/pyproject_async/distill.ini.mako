# distill configuration: the database URL and logging. The other settings are in
# [tool.distill] of pyproject.toml. %(here)s is the folder this file is in.

[distill]
# The database. The default is a SQLite file next to this config file.
# Example: postgresql+asyncpg://user:password@localhost/app
sqlalchemy.url = sqlite+aiosqlite:///%(here)s/app.db

[loggers]
keys = root,sqlalchemy,distill

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_distill]
level = INFO
handlers =
qualname = distill

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
