"""Plan jobs: where a requested plan is run, and the folders it reads and leaves.

- :mod:`.in_process`: on SQLite, one worker thread inside ``safeconduct serve`` that runs
  the queued jobs one at a time (the ``plan_jobs`` table is the queue);
- :mod:`.procrastinate_queue`: on PostgreSQL, procrastinate (no broker: the jobs live in
  the database), its schema applied at start-up; ``safeconduct worker`` runs more workers,
  here or on other machines, and a job whose worker died is retried;
- :mod:`.folders`: the data folder's areas and the files a plan leaves.

Nothing here imports the use cases: the entry point hands the workers the function to run.
"""
