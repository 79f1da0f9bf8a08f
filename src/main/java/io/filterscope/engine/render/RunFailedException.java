package io.filterscope.engine.render;

/** A run cannot go on (its numbers blew up); the run ends as "failed" with this message, the worker goes on. */
public class RunFailedException extends RuntimeException {
    public RunFailedException(String message) {
        super(message);
    }
}
