/* The seed article's Go program (main.go in fixtures/seed-*), in C so that it builds
 * offline and behaves like a plain process: it handles SIGTERM and nothing else, so
 * any other signal has its default action (dropped by the kernel while it is PID 1).
 * It prints the article's lines; "启动了程序" (started) is the ready line. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;

static void on_term(int signum) {
    (void)signum;
    stopping = 1;
}

int main(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_term;
    sigaction(SIGTERM, &action, NULL); /* before the ready line: no race with the stop */
    setvbuf(stdout, NULL, _IOLBF, 0);
    puts("启动了程序");
    for (int seconds = 1;; seconds++) {
        if (stopping) {
            puts("退出: terminated");
            puts("开始退出...");
            puts("执行清理...");
            puts("结束退出...");
            return 0;
        }
        printf("休眠了: %d 秒\n", seconds);
        sleep(1); /* returns early when the signal arrives */
    }
}
