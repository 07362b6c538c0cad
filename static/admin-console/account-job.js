/*
 * A background job's page keeps itself current while the job runs: it asks
 * the job's progress view (JSON) every second and updates the progress bar,
 * the counts and the rows of the page shown, then stops once the job is done.
 * Without scripts the page is still right as of its loading; a reload updates it.
 */
"use strict";
{
    const POLL_MS = 1000;
    const MAX_WAIT_MS = 30000;

    function showCounts(list, state) {
        const entries = state.counts.map((count) => [count.result, count.words, count.count]);
        if (state.waiting) {
            entries.push(["waiting", "Waiting", state.waiting]);
        }
        list.replaceChildren(
            ...entries.map(([result, words, count]) => {
                const item = document.createElement("li");
                item.className = `job-result job-result-${result}`;
                item.textContent = `${words}: ${count}`;
                return item;
            })
        );
    }

    function showRows(table, state) {
        for (const row of state.items) {
            const line = table.querySelector(`tr[data-item="${row.id}"]`);
            if (!line) {
                continue;
            }
            const badge = line.querySelector(".job-result");
            badge.className = `job-result job-result-${row.result || "waiting"}`;
            badge.textContent = row.words;
            line.querySelector(".job-message").textContent = row.message;
        }
    }

    function show(job, state) {
        const bar = job.querySelector("#job-progress");
        bar.max = state.total;
        bar.value = state.done;
        bar.textContent = state.progress_text;
        job.querySelector("#job-progress-text").textContent = state.progress_text;
        job.querySelector("#job-status").textContent = state.status_words;
        showCounts(job.querySelector("#job-counts"), state);
        showRows(job.querySelector("#job-items"), state);
        job.dataset.status = state.status;
    }

    function follow(job) {
        let wait = POLL_MS;
        async function poll() {
            try {
                const response = await fetch(job.dataset.progressUrl, {
                    headers: {Accept: "application/json"},
                    credentials: "same-origin",
                });
                if (!response.ok) {
                    throw new Error(`progress answered ${response.status}`);
                }
                show(job, await response.json());
                wait = POLL_MS;
            } catch (error) {
                // The server restarting or the network dropping: ask again later.
                wait = Math.min(wait * 2, MAX_WAIT_MS);
            }
            if (job.dataset.status !== "done") {
                window.setTimeout(poll, wait);
            }
        }
        window.setTimeout(poll, wait);
    }

    const job = document.querySelector(".account-job[data-progress-url]");
    if (job && job.dataset.status !== "done") {
        follow(job);
    }
}
