"""Jobs: the record of every workflow run and the backends that carry them.

``contracts``  the JobQueue protocol, records, filters, the optional services we call
``states``     the state machine and the retry backoff
``store``      the hot-path statements: claim, record a step, finish, retry later
``runner``     JobRunner: runs one claimed job with the workflows engine
``local``      LocalPool: the embedded worker threads (the default backend)
``rq_backend`` RqQueue: Redis + RQ, with held jobs dispatched when Redis returns
``rq_worker``  the ``levqor worker`` RQ worker and its task
``recovery``   requeue or fail jobs whose worker died
``service``    JobService: enqueue and read jobs
``steering``   JobSteering: cancel, requeue, retry, delete one job
``bulk``       the same for every job matching a filter: preview, then apply
``operations`` JobOperations (``app.jobs``): all of the above, why, workers, queues, pool size
``why``        "why isn't it running?"
``scheduler``  enqueue due runs of scheduled workflows, once each
``retention``  prune old finished jobs, keep SQLite small
``wiring``     builds all of it onto the App
"""
