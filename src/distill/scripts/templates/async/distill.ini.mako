# distill configuration. `distill` reads the [distill] section; the logging sections
# below are read by env.py. %(here)s is the folder this file is in.

[distill]
# The migration folder: env.py, script.py.mako and versions/.
script_location = ${script_location}

# Prepended to sys.path, so env.py can import your application (split by path_separator).
prepend_sys_path = .

# How lists of paths (prepend_sys_path, version_locations) are split:
# os (the platform's separator, ':' or ';'), ':', ';', space or newline.
path_separator = os

# The database, through an async driver. The default is a SQLite file next to
# this config file (needs the aiosqlite package).
# Examples: postgresql+asyncpg://user:password@localhost/app
#           mysql+aiomysql://user:password@localhost/app
sqlalchemy.url = sqlite+aiosqlite:///%(here)s/app.db

# Revision file names. Tokens: rev, slug, epoch, year, month, day, hour, minute,
# second; write % as %%. A / makes subfolders (then set recursive_version_locations).
# file_template = %%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s
# truncate_slug_length = 40

# Time zone of the dates in new revision files (an IANA name); local time if unset.
# timezone = UTC

# More folders of revision files (default: <script_location>/versions).
# version_locations = %(here)s/migrations/versions:%(here)s/plugins/versions
# recursive_version_locations = false

# Run env.py while writing a revision even without --autogenerate.
# revision_environment = false

# Accept .pyc revision files without their .py source.
# sourceless = false

# Encoding of new revision files.
# output_encoding = utf-8

[post_write_hooks]
# Commands run on each new revision file; REVISION_SCRIPT_FILENAME is its path.
# hooks = ruff_format
# ruff_format.type = exec
# ruff_format.executable = ruff
# ruff_format.options = format REVISION_SCRIPT_FILENAME
# Other types: module (ruff_format.module = ruff) and
# console_scripts (black.entrypoint = black).

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
