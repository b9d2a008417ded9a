[tool.distill]
# The migration folder: env.py, script.py.mako and versions/.
# %(here)s is the folder of this file.
script_location = "${script_location}"

# Prepended to sys.path, so env.py can import your application.
prepend_sys_path = ["."]

# Revision file names. Tokens: rev, slug, epoch, year, month, day, hour, minute,
# second. A / makes subfolders (then set recursive_version_locations = true).
# file_template = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
# truncate_slug_length = 40

# Time zone of the dates in new revision files (an IANA name); local time if unset.
# timezone = "UTC"

# More folders of revision files (default: <script_location>/versions).
# version_locations = ["%(here)s/migrations/versions", "%(here)s/plugins/versions"]
# recursive_version_locations = false

# Run env.py while writing a revision even without --autogenerate.
# revision_environment = false

# Accept .pyc revision files without their .py source.
# sourceless = false

# Encoding of new revision files.
# output_encoding = "utf-8"

# Commands run on each new revision file; REVISION_SCRIPT_FILENAME is its path.
# [[tool.distill.post_write_hooks]]
# name = "ruff_format"
# type = "exec"
# executable = "ruff"
# options = "format REVISION_SCRIPT_FILENAME"
