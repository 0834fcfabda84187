"""The load benchmark (issue 14): data generator, load client, report, and the `make bench` run.

Not an installed app: nothing here is imported by the site, and the bare view it measures
against exists only under `config.settings.bench`. See docs/performance.md.
"""
