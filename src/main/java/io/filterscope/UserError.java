package io.filterscope;

/**
 * A mistake in what the user asked for (a flag, a file, a model, layer or filter). Its message is shown as
 * it is, on one line, with no stack trace; {@link #notFound} marks an unknown name (HTTP 404 rather than 400).
 */
public class UserError extends RuntimeException {
    public final boolean notFound;

    public UserError(String message) {
        this(message, false);
    }

    public UserError(String message, boolean notFound) {
        super(message);
        this.notFound = notFound;
    }

    public static UserError notFound(String message) {
        return new UserError(message, true);
    }

    /**
     * Why a JSON document could not be read, on one line (Jackson's messages may hold line breaks), without its location,
     * and with a location inside it (an unclosed array's start) as a line and column, not Jackson's source description.
     */
    public static String why(com.fasterxml.jackson.core.JsonProcessingException e) {
        return String.valueOf(e.getOriginalMessage()).replace('\n', ' ')
                .replaceAll("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]", "line $1, column $2");
    }

    /** {@link #why} after where in the document it went wrong, {@code line 6, column 1: }, when Jackson knows. */
    public static String whereAndWhy(com.fasterxml.jackson.core.JsonProcessingException e) {
        com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
        return (at == null || at.getLineNr() < 1 ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ") + why(e);
    }
}
