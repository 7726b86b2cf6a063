"""The commands, one module each: ``run(config, out_dir)`` does the work of ``genclust <name>``
once its typed config is checked (train, cluster, predict); ``report`` reads finished runs."""
