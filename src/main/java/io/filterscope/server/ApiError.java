package io.filterscope.server;

import io.filterscope.UserError;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /** A stop, update or watch of a run no worker has: it ended, or it never was. */
    public static ApiError noRun(String run) {
        return notFound("no run " + run + " (it ended, or it never was)");
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
            // In the user's terms, not the event bus's ("Timed out after waiting 120000(ms) for a reply. address: ...").
            Matcher waited = WAITED.matcher(String.valueOf(r.getMessage()));
            return new ApiError(503, "no_worker", waited.matches() ? TIMED_OUT + seconds(Long.parseLong(waited.group(1)))
                    : r.failureType() == ReplyFailure.TIMEOUT ? TIMED_OUT + seconds(io.filterscope.server.protocol.ComputeApi.TIMEOUT_MS)
                    : r.failureType() == ReplyFailure.NO_HANDLERS ? "no compute worker is running"
                    : "no compute worker answered: " + r.getMessage());
        }
        return new ApiError(500, "internal", "internal error: " + t.getClass().getSimpleName()
                + (t.getMessage() == null ? "" : ": " + t.getMessage().split("\n")[0]));
    }

    /** The event bus's words for a request that timed out, here or at the next hop (a dispatcher asking its worker). */
    private static final Pattern WAITED = Pattern.compile("Timed out after waiting (\\d+)\\(ms\\).*", Pattern.DOTALL);
    private static final String TIMED_OUT = "no compute worker answered within ";

    private static String seconds(long ms) {
        return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
    }

    /** Whether this is a request to a compute worker that got no answer in time (which may still come, late). */
    public boolean timedOut() {
        return "no_worker".equals(code) && message.startsWith(TIMED_OUT);
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
