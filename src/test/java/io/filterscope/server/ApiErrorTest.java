package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.Test;

/** Failures of the event bus reach a client in its own terms, never the bus's addresses and milliseconds. */
class ApiErrorTest {
    private static final String BUS_WORDS = "Timed out after waiting 120000(ms) for a reply. address: __vertx.reply.9, "
            + "repliedAddress: filterscope.compute.start";

    @Test
    void aRequestThatTimedOutHereOrAtTheNextHopSaysHowLongItWaited() {
        ReplyException here = new ReplyException(ReplyFailure.TIMEOUT, BUS_WORDS);
        ReplyException nextHop = new ReplyException(ReplyFailure.RECIPIENT_FAILURE, BUS_WORDS); // a dispatcher's worker timed out
        for (ReplyException e : new ReplyException[] {here, nextHop}) {
            ApiError error = ApiError.of(e);
            assertEquals(new ApiError(503, "no_worker", "no compute worker answered within 120 s"), error);
            assertTrue(error.timedOut());
        }
        assertEquals("no compute worker answered within 0.5 s",
                ApiError.of(new ReplyException(ReplyFailure.TIMEOUT, "Timed out after waiting 500(ms) for a reply.")).message());
    }

    @Test
    void noWorkerAtAllIsSaidSoAndIsNoTimeOut() {
        ApiError none = ApiError.of(new ReplyException(ReplyFailure.NO_HANDLERS, "No handlers for address filterscope.compute.start"));
        assertEquals(new ApiError(503, "no_worker", "no compute worker is running"), none);
        assertFalse(none.timedOut());
        assertFalse(new ApiError(503, "no_worker", "no compute worker is connected").timedOut());
    }
}
