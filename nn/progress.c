/* progress.c: a one-line progress display for training on stderr (epoch, bar, loss, accuracy,
 * speed), drawn only when stderr is a terminal and the caller did not ask for quiet. Uses only
 * the public headers; what the line reports is up to the training loop that calls it. */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "tapegrad.h"

static double now(void)
{
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tg_progress_init(tg_progress *p, size_t total, int quiet)
{
    if (!p)
        return;
    p->total = total;
    p->enabled = !quiet && isatty(fileno(stderr));
    p->t0 = p->last_draw = now();
    p->last_len = 0;
}

void tg_progress_update(tg_progress *p, size_t done, double loss, double accuracy)
{
    if (!p || !p->enabled)
        return;
    /* at most ten redraws a second (a terminal is slow), but always the last one */
    const double t = now();
    if (done < p->total && p->last_len && t - p->last_draw < 0.1)
        return;
    p->last_draw = t;
    enum { WIDTH = 24 };
    char bar[WIDTH + 1];
    const size_t fill = p->total ? (done > p->total ? WIDTH : done * WIDTH / p->total) : 0;
    for (size_t i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '=' : ' ';
    bar[WIDTH] = '\0';
    const double dt = t - p->t0;
    char line[160];
    int n =
        snprintf(line, sizeof line, "\repoch %zu/%zu [%s] loss %.6g", done, p->total, bar, loss);
    if (n > 0 && accuracy >= 0.0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " acc %.1f%%", 100.0 * accuracy);
    if (n > 0 && dt > 0.0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " %.0f epochs/s", (double)done / dt);
    if (n > 0 && dt > 0.0 && done > 0 && done < p->total && (size_t)n < sizeof line) {
        /* ETA = epochs left / mean rate so far, as m:ss */
        const double left = (double)(p->total - done) * dt / (double)done;
        const unsigned long s = (unsigned long)(left + 0.5);
        n += snprintf(line + n, sizeof line - (size_t)n, " ETA %lu:%02lu", s / 60, s % 60);
    }
    if (n <= 0)
        return;
    const size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    /* pad with spaces over whatever a longer previous line left behind */
    fprintf(stderr, "%s%*s", line, p->last_len > len ? (int)(p->last_len - len) : 0, "");
    fflush(stderr);
    p->last_len = len;
}

void tg_progress_done(tg_progress *p)
{
    if (p && p->enabled && p->last_len) {
        fputc('\n', stderr);
        p->last_len = 0;
    }
}
