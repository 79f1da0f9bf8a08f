package io.filterscope.server.page;

import static io.filterscope.server.page.ExplorerPageTest.RECORD_SENT;
import static io.filterscope.server.page.ExplorerPageTest.sent;
import static io.filterscope.server.page.ExplorerPageTest.status;
import static io.filterscope.server.page.ExplorerPageTest.step;
import static io.filterscope.server.page.ExplorerPageTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * The page's live panel, Stop and gallery as runs come and go, in headless Chromium, on a server with one place (so a
 * second run waits in the queue) and two runs a client (both browsers are the client 127.0.0.1): the items of a
 * newcomer's trial (page19) of Stop on a gallery, watched runs left without unwatch, a refused start mixing into a
 * watched run's panel, and waiting lines and images left behind.
 */
class RunPanelPageTest {
    @TempDir
    static Path models;
    static FilterScopeServer server;
    static String url;
    WebDriver browser;
    TestInfo test;

    /** Makes the page render its galleries at 2 steps a second. */
    private static final String SLOW_GALLERIES = "const sendPaced = send;"
            + " send = (m) => sendPaced(m.tag === 'gallery' ? { ...m, pace: 2 } : m);";

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        FixtureModels.writeLeNet(models, "tiny2"); // listed after tiny, which the page opens on
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0).withLimits(
                ServerConfig.Limits.DEFAULT.with(Limit.ACTIVE_RUNS, 1).with(Limit.RUNS_PER_CLIENT, 2)));
        url = "http://127.0.0.1:" + server.port() + "/";
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    @BeforeEach
    void open(TestInfo info) throws IOException {
        test = info;
        browser = ExplorerPageTest.chromium();
    }

    @AfterEach
    void close() throws IOException, InterruptedException {
        ExplorerPageTest.screenshot(browser, test.getTestMethod().orElseThrow().getName());
        browser.quit();
        awaitNothingRuns(); // each test starts on an empty device
    }

    /** Stop stops a gallery, whose run took its Stop nowhere before (page19), and the status line says it stopped. */
    @Test
    void stopStopsTheGalleryAndTheStatusSaysSo() throws Exception {
        load(browser);
        renderSlowGallery(browser);
        assertTrue(browser.findElement(By.id("stop")).isEnabled(), "Stop acts on the gallery");
        browser.findElement(By.id("stop")).click();
        waitFor(browser).until(d -> status(d).startsWith("gallery stopped after "));
        assertFalse(browser.findElement(By.id("stop")).isEnabled());
        awaitNothingRuns();
    }

    /** The gallery asked again while it renders says the earlier rendering stopped, not "filters 0-31 left; showing filters 0-31". */
    @Test
    void renderingTheGalleryAgainSaysTheEarlierRenderingStopped() throws Exception {
        load(browser);
        js(browser, SLOW_GALLERIES + RECORD_STATUSES);
        browser.findElement(By.id("gallery")).click();
        waitFor(browser).until(d -> d.findElement(By.id("stop")).isEnabled());
        browser.findElement(By.id("gallery")).click();
        waitFor(browser).until(d -> statuses(d).contains("an earlier rendering of filters 0-31 stopped; rendering them again"));
        assertTrue(statuses(browser).stream().noneMatch(t -> t.contains(" left; showing ")), statuses(browser).toString());
        waitFor(browser).until(d -> text(d, "gallery-progress").matches("step [1-9]\\d* / 64"));
        browser.findElement(By.id("stop")).click();
        waitFor(browser).until(d -> status(d).startsWith("gallery stopped after "));
    }

    /** Makes the page keep each text its status line shows in {@code window.statuses}. */
    private static final String RECORD_STATUSES = " window.statuses = []; const line = document.getElementById('status');"
            + " new MutationObserver(() => window.statuses.push(line.textContent))"
            + ".observe(line, { childList: true, characterData: true, subtree: true });";

    @SuppressWarnings("unchecked")
    private static List<String> statuses(WebDriver page) {
        return (List<String>) js(page, "return window.statuses");
    }

    /**
     * A run stopped while it waits for a place takes its waiting line with it: "waiting: position 1 in the queue" stayed
     * beside "run stopped after 0 steps" (page19). The gallery holding the place says nothing in the live panel.
     */
    @Test
    void aRunStoppedWhileItWaitsLeavesNoWaitingLine() throws Exception {
        load(browser);
        renderSlowGallery(browser);
        browser.findElement(By.id("start")).click();
        waitFor(browser).until(d -> text(d, "queue").equals("waiting: position 1 in the queue"));
        js(browser, RECORD_STATUSES);
        browser.findElement(By.id("stop")).click();
        waitFor(browser).until(d -> statuses(d).contains("run stopped after 0 steps") && statuses(d).stream()
                .anyMatch(t -> t.startsWith("gallery stopped after ")));
        assertEquals("", text(browser, "queue"));
        awaitNothingRuns();
    }

    /**
     * Leaving a watched run (starting one's own, picking another model) unwatches it, so a run whose owner has gone
     * stops once nobody sees it; the page never sent unwatch, so such a run computed on for nobody (page19).
     */
    @Test
    void leavingAWatchedRunUnwatchesItAndARunNobodySeesStops() throws Exception {
        WebDriver owner = ExplorerPageTest.chromium();
        try {
            load(owner);
            String run = startLongRun(owner);
            load(browser);
            js(browser, RECORD_SENT);
            watch(browser, run);
            browser.findElement(By.id("start")).click(); // waits: the owner's run holds the only place
            waitFor(browser).until(d -> text(d, "queue").equals("waiting: position 1 in the queue"));
            assertEquals(List.of("{\"op\":\"unwatch\",\"run\":\"" + run + "\",\"tag\":\"replaced\"}"), sent(browser, "unwatch"));
            assertTrue(sent(browser, "stop").stream().noneMatch(m -> m.toString().contains(run)), "only its owner stops it");
            browser.findElement(By.id("stop")).click();
            waitFor(browser).until(d -> status(d).equals("run stopped after 0 steps"));

            watch(browser, run);
            owner.quit();
            int seen = step(browser);
            waitFor(browser).until(d -> step(d) > seen + 3); // it computes on for its watcher alone
            new Select(browser.findElement(By.id("model"))).selectByValue("tiny2");
            waitFor(browser).until(d -> d.findElement(By.id("start")).isEnabled());
            awaitNothingRuns();
        } finally {
            owner.quit();
        }
    }

    /**
     * A start refused while the page watches a run leaves no mix of the two in the live panel ("run X · step 12 / 200"
     * with X's image frozen, page19): the panel says the start was refused, and shows no run.
     */
    @Test
    void aStartRefusedWhileWatchingSaysSoAndShowsNoOtherRunsNumbers() throws Exception {
        WebDriver owner = ExplorerPageTest.chromium();
        try {
            load(owner);
            String run = startLongRun(owner);
            owner.findElement(By.id("gallery")).click(); // the client's second run, waiting for the place
            waitFor(owner).until(d -> text(d, "gallery-progress").equals("waiting: position 1 in the queue"));
            load(browser);
            watch(browser, run);
            browser.findElement(By.id("start")).click();
            waitFor(browser).until(d -> d.findElement(By.id("status")).getAttribute("class").contains("error"));
            assertTrue(status(browser).contains("you already have 2 runs"), status(browser));
            assertEquals("not started: " + status(browser), text(browser, "live-note"));
            assertTrue(browser.findElement(By.id("live-placeholder")).isDisplayed());
            assertFalse(browser.findElement(By.id("live-image")).isDisplayed(), "no image of the run left");
            assertEquals(List.of("-", "0", "0"), List.of(text(browser, "run-id"), text(browser, "step"), text(browser, "step-total")));
            Thread.sleep(500);
            assertEquals("0", text(browser, "step"), "no frame of the run left");
            assertFalse(browser.findElement(By.id("stop")).isEnabled());
        } finally {
            owner.quit();
        }
    }

    /**
     * Picking another model stops the run shown and clears its image, numbers and waiting line: the previous model's
     * image went on under the new model's controls, and "waiting: loading model ..." stayed (page19).
     */
    @Test
    void pickingAnotherModelStopsTheRunShownAndClearsItsImageAndWaitingLine() throws Exception {
        load(browser);
        startLongRun(browser);
        new Select(browser.findElement(By.id("model"))).selectByValue("tiny2");
        waitFor(browser).until(d -> d.findElement(By.id("start")).isEnabled());
        assertFalse(browser.findElement(By.id("live-image")).isDisplayed(), "no image of tiny's run under tiny2's controls");
        assertTrue(browser.findElement(By.id("live-placeholder")).isDisplayed());
        assertEquals(List.of("-", "0"), List.of(text(browser, "run-id"), text(browser, "step")));
        awaitNothingRuns();

        renderSlowGallery(browser);
        browser.findElement(By.id("start")).click();
        waitFor(browser).until(d -> text(d, "queue").equals("waiting: position 1 in the queue"));
        new Select(browser.findElement(By.id("model"))).selectByValue("tiny");
        waitFor(browser).until(d -> d.findElement(By.id("start")).isEnabled());
        assertEquals("", text(browser, "queue"), "no waiting line of tiny2's run");
        assertEquals("", status(browser));
        awaitNothingRuns();
    }

    /**
     * A start the page leaves for another model before its answer comes (within milliseconds) is stopped when its answer
     * comes: the page stopped only a run whose started had arrived, so this one computed on for nobody, and took the new
     * model's live panel.
     */
    @Test
    void aStartLeftForAnotherModelBeforeItsAnswerIsStoppedWhenItComes() throws Exception {
        load(browser);
        browser.findElement(By.id("steps")).clear();
        browser.findElement(By.id("steps")).sendKeys("100000");
        js(browser, RECORD_SENT + " start(); const model = document.getElementById('model'); model.value = 'tiny2';"
                + " model.dispatchEvent(new Event('change'));");
        waitFor(browser).until(d -> d.findElement(By.id("start")).isEnabled());
        waitFor(browser).until(d -> sent(d, "stop").size() == 1);
        awaitNothingRuns();
        assertEquals(List.of("-", "0"), List.of(text(browser, "run-id"), text(browser, "step")), "no run of tiny's in tiny2's panel");
        assertEquals("", status(browser));
    }

    /** A gallery's tiles show a plain square until their first frame, not broken images with "filter N" (page19). */
    @Test
    void galleryTilesWaitingForTheirFirstFrameShowAPlainSquare() {
        load(browser);
        js(browser, "const unsent = send; send = (m) => m.tag === 'gallery' ? undefined : unsent(m);"); // never answered
        browser.findElement(By.id("gallery")).click();
        assertEquals(32, browser.findElements(By.cssSelector("#gallery-grid img")).size());
        waitFor(browser).until(d -> (Boolean) js(d, "return [...document.querySelectorAll('#gallery-grid img')]"
                + ".every((i) => i.complete && i.naturalWidth > 0 && i.src.startsWith('data:image/svg+xml'))"));
    }

    /** Selenium warned at every browser's start that it has no CDP implementation for this Chromium (two lines each). */
    @Test
    void aBrowserStartsWithoutSeleniumsCdpVersionWarnings() throws IOException {
        Logger selenium = Logger.getLogger("org.openqa.selenium");
        List<String> warned = new CopyOnWriteArrayList<>();
        Handler warnings = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warned.add(r.getLoggerName() + ": " + r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        selenium.addHandler(warnings);
        try {
            ExplorerPageTest.chromium().quit();
        } finally {
            selenium.removeHandler(warnings);
        }
        assertEquals(List.of(), warned);
    }

    private static void load(WebDriver page) {
        page.get(url);
        waitFor(page).until(d -> new Select(d.findElement(By.id("layer"))).getOptions().size() > 0);
    }

    private static Object js(WebDriver page, String script) {
        return ((JavascriptExecutor) page).executeScript(script);
    }

    private static String text(WebDriver page, String id) {
        return (String) js(page, "return document.getElementById('" + id + "').textContent");
    }

    /** Has the page render its layer's gallery at 2 steps a second (so that it is still going when the test acts). */
    private static void renderSlowGallery(WebDriver page) {
        js(page, SLOW_GALLERIES);
        page.findElement(By.id("gallery")).click();
        waitFor(page).until(d -> text(d, "gallery-progress").matches("step [1-9]\\d* / 64"));
    }

    /** Starts a run of 100,000 steps on the page and returns its id once its frames show. */
    private static String startLongRun(WebDriver page) {
        page.findElement(By.id("steps")).clear();
        page.findElement(By.id("steps")).sendKeys("100000");
        page.findElement(By.id("start")).click();
        waitFor(page).until(d -> step(d) > 2);
        return page.findElement(By.id("run-id")).getText();
    }

    /** Clicks watch beside {@code run} in the page's list of runs, asked again until it is listed. */
    private static void watch(WebDriver page, String run) {
        By button = By.xpath("//ul[@id='runs']/li[contains(., '" + run + "')]/button");
        waitFor(page).until(d -> {
            d.findElement(By.id("refresh-runs")).click();
            return !d.findElements(button).isEmpty();
        });
        // Clicked inside the wait: an answer to an earlier refresh may redraw the list between finding the button and
        // the click (a stale element, seen on a loaded machine).
        waitFor(page).until(d -> {
            d.findElement(button).click();
            return true;
        });
        waitFor(page).until(d -> status(d).contains("watching run " + run) && step(d) > 0);
    }

    private static JsonObject health() {
        try {
            return ExplorerPageTest.health(server.port(), null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits up to 30 s for the server to have no run computing or waiting. */
    private static void awaitNothingRuns() throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        JsonObject h = health();
        while (h.getInteger("runsActive") + h.getInteger("runsQueued") > 0) {
            assertTrue(System.nanoTime() < deadline, "runs go on for nobody: " + h.encode());
            Thread.sleep(100);
            h = health();
        }
    }
}
