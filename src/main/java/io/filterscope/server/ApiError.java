package io.filterscope.server;

import io.filterscope.UserError;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * A typed error of the protocol: an HTTP status, a stable code for programs and a message for people.
 * Crosses the event bus as a failed reply whose failure code is the status.
 */
public record ApiError(int status, String code, String message) {

    public static ApiError badRequest(String message) {
        return new ApiError(400, "bad_request", message);
    }

    public static ApiError notFound(String message) {
        return new ApiError(404, "not_found", message);
    }

    public static ApiError of(Throwable t) {
        if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            return of(t.getCause());
        }
        if (t instanceof ApiException e) {
            return e.error;
        }
        if (t instanceof UserError e) {
            return e.notFound ? notFound(e.getMessage()) : badRequest(e.getMessage());
        }
        if (t instanceof ReplyException r && r.failureCode() >= 400) {
            String m = r.getMessage() == null ? "" : r.getMessage();
            int bar = m.indexOf('|');
            if (bar > 0 && CODES.contains(m.substring(0, bar))) {
                return new ApiError(r.failureCode(), m.substring(0, bar), m.substring(bar + 1));
            }
            return new ApiError(r.failureCode(), codeFor(r.failureCode()), m);
        }
        if (t instanceof ReplyException r) {
            return new ApiError(503, "no_worker", "no compute worker answered: " + r.getMessage());
        }
        return new ApiError(500, "internal", "internal error: " + t.getClass().getSimpleName()
                + (t.getMessage() == null ? "" : ": " + t.getMessage().split("\n")[0]));
    }

    /** Every code an error may carry. */
    private static final java.util.Set<String> CODES = java.util.Set.of("bad_request", "unauthorized", "forbidden",
            "not_found", "method_not_allowed", "too_large", "unsupported_media_type", "too_many_runs", "rate_limited", "out_of_memory",
            "no_worker", "internal");

    /** Fails an event-bus request with this error; {@link #of} on the requester's side gives it back, code and all. */
    public void failReply(io.vertx.core.eventbus.Message<?> request) {
        request.fail(status, code + "|" + message);
    }

    public static String codeFor(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "too_large";
            case 415 -> "unsupported_media_type";
            case 429 -> "too_many_runs";
            case 503 -> "no_worker";
            default -> "internal";
        };
    }

    /** {"error":{"code","message"}} as the HTTP API answers. */
    public JsonObject toHttpJson() {
        return new JsonObject().put("error", new JsonObject().put("code", code).put("message", message));
    }

    /** Throwable form, for code that signals errors by throwing. */
    public static final class ApiException extends RuntimeException {
        final ApiError error;

        public ApiException(ApiError error) {
            super(error.message());
            this.error = error;
        }
    }

    public ApiException exception() {
        return new ApiException(this);
    }
}
