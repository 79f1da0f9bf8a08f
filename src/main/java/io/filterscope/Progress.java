package io.filterscope;

/** Reports how far a long task has got; the command line draws it as a bar. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total, what) -> { };

    void update(long done, long total, String what);
}
