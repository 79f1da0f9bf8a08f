package io.filterscope.server.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The explorer page in real headless Chromium (Debian's chromium and chromium-driver, which .ci/run
 * installs). Screenshots go to target/screenshots.
 */
class ExplorerPageTest {
    @TempDir
    static Path models;
    /** The pictures the tests upload. */
    @TempDir
    static Path files;
    static FilterScopeServer server;
    static String url;
    WebDriver browser;
    TestInfo test;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        // A Keras file without metadata, listed after tiny (so tiny stays the model the page opens with).
        io.filterscope.model.keras.KerasFixtures.copy("mnist-seq.h5", models, "zz-keras.h5");
        // A model whose metadata names the layer, filter and preset the page opens it on (listed after tiny too).
        FixtureModels.writeLeNet(models, "viewed");
        Path viewed = models.resolve("viewed.json");
        String json = Files.readString(viewed);
        Files.writeString(viewed, json.substring(0, json.lastIndexOf('}'))
                + ",\"defaultView\":{\"layer\":\"conv3\",\"filter\":7,\"preset\":\"seed-smooth\"}}");
        // A model no run reads before aStartRefusedAfterPreparingEndsItsWait's: its start hears "preparing" first.
        FixtureModels.writeLeNet(models, "unstarted");
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        url = "http://127.0.0.1:" + server.port() + "/";
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    @BeforeEach
    void open(TestInfo info) throws IOException {
        test = info;
        browser = chromium();
    }

    @AfterEach
    void close() throws IOException {
        screenshot(browser, test.getTestMethod().orElseThrow().getName());
        browser.quit();
    }

    /**
     * Selenium's loggers that warn, at every browser's start, that they have no CDP implementation for this Chromium's
     * version (two lines each, in every page test's output): the tests use no CDP. Held here, as java.util.logging keeps
     * its loggers only weakly, and a level set on a logger collected meanwhile would be lost.
     */
    private static final List<Logger> QUIET_CDP = Stream.of("org.openqa.selenium.devtools",
            "org.openqa.selenium.chromium").map(Logger::getLogger).toList();

    static WebDriver chromium() throws IOException {
        QUIET_CDP.forEach(l -> l.setLevel(Level.SEVERE));
        Path chromedriver = Path.of("/usr/bin/chromedriver");
        if (!Files.isExecutable(chromedriver)) {
            throw new IllegalStateException("browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,1000",
                // A profile per browser, under target/ (removed with the build) rather than left behind in /tmp.
                "--user-data-dir=" + Files.createTempDirectory(Files.createDirectories(Path.of("target", "chromium")), "profile").toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).build();
        return new ChromeDriver(service, options);
    }

    static void screenshot(WebDriver browser, String name) throws IOException {
        Path dir = Path.of("target", "screenshots");
        Files.createDirectories(dir);
        Files.write(dir.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /** Waits up to 30 s; an element the page re-rendered meanwhile (a select's options refilled) is looked up again. */
    static WebDriverWait waitFor(WebDriver browser) {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return wait;
    }

    private static void load(WebDriver browser) {
        browser.get(url);
        waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getOptions().size() > 0);
    }

    static int step(WebDriver browser) {
        return Integer.parseInt(browser.findElement(By.id("step")).getText());
    }

    static String status(WebDriver browser) {
        return browser.findElement(By.id("status")).getText();
    }

    private static void setSlider(WebDriver browser, String param, String value) {
        ((JavascriptExecutor) browser).executeScript(
                "const s = document.getElementById('p-' + arguments[0]); s.value = arguments[1];"
                        + "s.dispatchEvent(new Event('input'));", param, value);
    }

    @Test
    void startingARunShowsFramesArrivingAndBlurCanChangeMidRunThenStop() throws Exception {
        load(browser);
        browser.findElement(By.id("steps")).clear();
        browser.findElement(By.id("steps")).sendKeys("100000");
        browser.findElement(By.id("start")).click();
        waitFor(browser).until(d -> step(d) > 5);
        String firstImage = browser.findElement(By.id("live-image")).getAttribute("src");
        assertTrue(firstImage.startsWith("blob:"), firstImage);
        setSlider(browser, "blurSigma", "1.5");
        waitFor(browser).until(d -> status(d).contains("params applied from step"));
        int before = step(browser);
        waitFor(browser).until(d -> step(d) > before + 5);
        int clickedAt = step(browser);
        double framesPerSecond = Double.parseDouble(browser.findElement(By.id("rate")).getText());
        browser.findElement(By.id("stop")).click();
        waitFor(browser).until(d -> status(d).contains("run stopped"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("run stopped after (\\d+) steps").matcher(status(browser));
        assertTrue(m.find(), status(browser));
        int stoppedAt = Integer.parseInt(m.group(1));
        // The page paints a little behind the stream: the frames in flight are all the slack, far less than a
        // second's worth at the rate the page itself measured.
        assertTrue(stoppedAt >= clickedAt && stoppedAt <= clickedAt + 10 + framesPerSecond,
                "stopped after " + stoppedAt + " steps when Stop was clicked at step " + clickedAt + ", " + framesPerSecond + " frames/s");
        assertTrue(step(browser) <= stoppedAt, "no frame after the run stopped");
        assertEquals(0, health(server.port(), null).getInteger("runsActive"), "nothing runs on");
    }

    /**
     * A run that waits for its network to be compiled (here at a size no other test asks for, so none is idle) says why in
     * the page's queue line while it waits, from the server's {@code preparing} event; the line empties when it starts.
     */
    @Test
    void aRunWaitingForItsNetworkSaysWhy() throws Exception {
        load(browser);
        ((JavascriptExecutor) browser).executeScript("const q = document.getElementById('queue'); window.queueTexts = [];"
                + " new MutationObserver(() => window.queueTexts.push(q.textContent)).observe(q, {childList: true, characterData: true, subtree: true});");
        browser.findElement(By.id("size")).clear();
        browser.findElement(By.id("size")).sendKeys("44");
        browser.findElement(By.id("steps")).clear();
        browser.findElement(By.id("steps")).sendKeys("3");
        browser.findElement(By.id("start")).click();
        waitFor(browser).until(d -> status(d).contains("run completed"));
        assertTrue(status(browser).matches("run completed after 3 steps at \\d+ steps/s"), "the pace the server gave it: " + status(browser));
        List<?> shown = (List<?>) ((JavascriptExecutor) browser).executeScript("return window.queueTexts");
        assertTrue(shown.stream().anyMatch(t -> t.toString().matches("waiting: compiling tiny for 1 image of \\d+ px")), shown.toString());
        assertEquals("", browser.findElement(By.id("queue")).getText(), "nothing waits once it started");
    }

    static io.vertx.core.json.JsonObject health(int port, String token) throws Exception {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/api/health"));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return new io.vertx.core.json.JsonObject(java.net.http.HttpClient.newHttpClient()
                .send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void thePageOpenedWithATokenUsesItForTheApiAndTheWebSocket() throws Exception {
        FilterScopeServer guarded = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0).withToken("class-token"));
        try {
            browser.get("http://127.0.0.1:" + guarded.port() + "/?token=class-token");
            waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getOptions().size() > 0);
            browser.findElement(By.id("steps")).clear();
            browser.findElement(By.id("steps")).sendKeys("100000");
            browser.findElement(By.id("start")).click();
            waitFor(browser).until(d -> step(d) > 3);
            assertEquals(1, health(guarded.port(), "class-token").getInteger("runsActive"));
            browser.findElement(By.id("stop")).click();
            waitFor(browser).until(d -> status(d).contains("run stopped"));
        } finally {
            guarded.closeAndWait();
        }
    }

    @Test
    void thePageOpenedWithoutTheTokenSaysHowToOpenItInsteadOfReconnecting() throws Exception {
        FilterScopeServer guarded = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0).withToken("class-token"));
        try {
            browser.get("http://127.0.0.1:" + guarded.port() + "/");
            waitFor(browser).until(d -> status(d).contains("this server needs a token: open the page as /?token=TOKEN"));
            browser.get("http://127.0.0.1:" + guarded.port() + "/?token=wrong");
            waitFor(browser).until(d -> status(d).contains("the server refused this page's token: open the page as /?token=TOKEN"));
        } finally {
            guarded.closeAndWait();
        }
    }

    /** A 50 px PNG of a white disc on black, in a new file of {@link #files} named {@code prefix...png}. */
    private static Path circlePng(String prefix) throws IOException {
        Path image = Files.createTempFile(files, prefix, ".png");
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(50, 50, java.awt.image.BufferedImage.TYPE_INT_RGB);
        img.getGraphics().fillOval(10, 10, 30, 30);
        javax.imageio.ImageIO.write(img, "png", image.toFile());
        return image;
    }

    @Test
    void uploadingAnImageShowsItsActivationMapsAndAChannelsExamples() throws IOException {
        load(browser);
        Path image = circlePng("upload");
        browser.findElement(By.id("upload")).sendKeys(image.toAbsolutePath().toString());
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#maps img[src^='data:image/png']")).size() >= 32);
        String firstMap = browser.findElements(By.cssSelector("#maps img")).get(0).getAttribute("src");
        browser.findElements(By.cssSelector("#maps button.tile")).get(0).click();
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#channel-examples img")).size() == 9);
        assertTrue(browser.findElement(By.id("channel-map")).getAttribute("src").startsWith("data:image/png"));
        assertEquals(firstMap, browser.findElement(By.id("channel-map")).getAttribute("src"), "the clicked channel's map");
    }

    /**
     * Only the answers about the latest upload change the page: a late answer for the image before (its responses held
     * back here) does not replace a refused file's error, and a refused file leaves nothing of the image before it.
     */
    @Test
    void aLateAnswerForAnEarlierUploadOrARefusedUploadLeavesNothingOfThePreviousImage() throws Exception {
        load(browser);
        Path ok = circlePng("ok");
        Path late = Files.copy(ok, ok.resolveSibling("late-" + ok.getFileName()));
        Path text = Files.writeString(Files.createTempFile(files, "text", ".png"), "not an image");
        WebElement upload = browser.findElement(By.id("upload"));
        upload.sendKeys(ok.toAbsolutePath().toString());
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#maps img[src^='data:image/png']")).size() >= 32
                && d.findElement(By.id("explain")).isDisplayed());

        JavascriptExecutor js = (JavascriptExecutor) browser;
        js.executeScript("const real = window.fetch; window.holdMs = 3000; window.held = 0;"
                + "window.fetch = (...a) => { const ms = window.holdMs; if (ms) window.held++;"
                + " return real(...a).then((r) => new Promise((done) => setTimeout(() => { done(r);"
                + " if (ms) setTimeout(() => window.held--, 300); }, ms))); };");
        upload.sendKeys(late.toAbsolutePath().toString());
        js.executeScript("window.holdMs = 0;");
        upload.sendKeys(text.toAbsolutePath().toString());
        waitFor(browser).until(d -> d.findElement(By.id("status")).getAttribute("class").contains("error"));
        waitFor(browser).until(d -> ((Number) js.executeScript("return window.held;")).intValue() == 0);
        assertTrue(browser.findElement(By.id("status")).getAttribute("class").contains("error"), status(browser));
        assertFalse(browser.findElement(By.id("explain")).isDisplayed(), "no predictions beside the refused file");
        assertEquals(0, browser.findElements(By.cssSelector("#maps figure")).size(), "no maps of an earlier image");
    }

    @Test
    void oneOfTheModelsExamplesCanStandInForAnUpload() {
        load(browser);
        browser.findElement(By.id("show-examples")).click();
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#example-picker button.tile")).size() == 12);
        browser.findElements(By.cssSelector("#example-picker button.tile")).get(3).click();
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#maps img[src^='data:image/png']")).size() >= 32);
    }

    /** The watcher's controls show what it watches: the run's model, layer and filter, not its own choice. */
    @Test
    void aSecondBrowserWatchesTheFirstOnesRun() throws IOException {
        load(browser);
        new Select(browser.findElement(By.id("model"))).selectByValue("viewed");
        waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getFirstSelectedOption().getAttribute("value").equals("conv3"));
        browser.findElement(By.id("steps")).clear();
        browser.findElement(By.id("steps")).sendKeys("100000");
        browser.findElement(By.id("start")).click();
        waitFor(browser).until(d -> step(d) > 2);
        String run = browser.findElement(By.id("run-id")).getText();
        WebDriver second = chromium();
        try {
            load(second);
            waitFor(second).until(d -> {
                d.findElement(By.id("refresh-runs")).click();
                return d.findElement(By.id("runs")).getText().contains(run);
            });
            assertTrue(second.findElement(By.id("runs")).getText().contains(run + " · viewed · conv3 · filter 7"),
                    second.findElement(By.id("runs")).getText());
            assertEquals("tiny", new Select(second.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value"));
            second.findElement(By.cssSelector("#runs li button")).click();
            waitFor(second).until(d -> status(d).contains("watching run " + run));
            waitFor(second).until(d -> new Select(d.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value").equals("viewed")
                    && new Select(d.findElement(By.id("layer"))).getFirstSelectedOption().getAttribute("value").equals("conv3"));
            assertEquals("7", second.findElement(By.id("filter")).getAttribute("value"));
            assertEquals("channel", new Select(second.findElement(By.id("objective"))).getFirstSelectedOption().getAttribute("value"));
            waitFor(second).until(d -> step(d) > 0);
            int seen = step(second);
            waitFor(second).until(d -> step(d) > seen);
            screenshot(second, "watcher");
        } finally {
            second.quit();
        }
        browser.findElement(By.id("stop")).click();
        waitFor(browser).until(d -> status(d).contains("run stopped"));
    }

    @Test
    void theGalleryFillsInAndClickingATileVisualizesThatFilter() {
        load(browser);
        browser.findElement(By.id("gallery")).click();
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#gallery-grid img[src^='blob:']")).size() == 32);
        waitFor(browser).until(d -> status(d).contains("gallery completed"));
        assertTrue(status(browser).contains("dead filters"), status(browser));
        List<org.openqa.selenium.WebElement> tiles = browser.findElements(By.cssSelector("#gallery-grid button.tile"));
        tiles.get(7).click();
        waitFor(browser).until(d -> d.findElement(By.id("filter")).getAttribute("value").equals("7") && step(d) > 0);
    }

    /**
     * The square of a flat colour a filter prefers is outlined so that it shows on the dark page whatever its colour: a
     * black one (the faint case) inside a light rim, a white one inside a dark rim within that.
     */
    @Test
    void aFlatColoursSquareShowsOnTheDarkPageWhateverItsColour() {
        load(browser);
        @SuppressWarnings("unchecked")
        List<String> rims = (List<String>) ((JavascriptExecutor) browser).executeScript(
                "const s = document.createElement('span'); s.className = 'swatch'; s.style.background = '#000000';"
                        + "document.getElementById('gallery-grid').appendChild(s); const c = getComputedStyle(s);"
                        + "return [c.outlineStyle, c.outlineWidth, c.outlineColor, c.borderTopStyle, c.borderTopColor];");
        assertEquals(List.of("solid", "2px", "rgb(238, 238, 238)", "solid", "rgb(0, 0, 0)"), rims);
    }

    /** A gallery of classes says which classes are dead, not which filters. */
    @Test
    void theGalleryOfClassesSpeaksOfClasses() {
        load(browser);
        browser.findElement(By.id("class-gallery")).click();
        waitFor(browser).until(d -> status(d).contains("gallery completed"));
        assertTrue(status(browser).contains("dead classes"), status(browser));
        assertFalse(status(browser).contains("filters"), status(browser));
    }

    /** A model without example images offers none to pick (its examples route would answer 404). */
    @Test
    void aKerasFileWithoutMetadataShowsItsLayersAndThatDefaultsAreInUse() {
        load(browser);
        assertTrue(browser.findElement(By.id("show-examples")).isDisplayed(), "tiny has example images");
        new Select(browser.findElement(By.id("model"))).selectByValue("zz-keras");
        waitFor(browser).until(d -> d.findElement(By.id("model-note")).getText().contains("defaults in use"));
        assertTrue(new Select(browser.findElement(By.id("layer"))).getOptions().stream()
                .anyMatch(o -> o.getText().startsWith("conv2d_4 ")), "Keras' layer names in the layer list");
        assertFalse(browser.findElement(By.id("show-examples")).isDisplayed(), "zz-keras has no example images");
        // No class names, but a class output: its classes by number, so a class objective can pick any (a newcomer's trial).
        List<String> classes = new Select(browser.findElement(By.id("class"))).getOptions().stream()
                .map(o -> o.getAttribute("textContent")).toList();
        assertEquals(List.of("class 0", "class 9"), List.of(classes.get(0), classes.get(classes.size() - 1)), classes.toString());
        new Select(browser.findElement(By.id("model"))).selectByValue("tiny");
        waitFor(browser).until(d -> d.findElement(By.id("show-examples")).isDisplayed());
    }

    /** While a picked model's details are on their way nothing starts: Start would send the last model's layer (fresh16). */
    @Test
    void aModelStillOpeningCannotBeStartedWithThePreviousModelsLayer() {
        load(browser);
        JavascriptExecutor js = (JavascriptExecutor) browser;
        js.executeScript("const real = window.fetch; window.fetch = (...a) => real(...a).then((r) => new Promise((done) =>"
                + " setTimeout(() => done(r), String(a[0]).includes('/api/models/zz-keras') ? 3000 : 0)));");
        new Select(browser.findElement(By.id("model"))).selectByValue("zz-keras");
        assertFalse(browser.findElement(By.id("start")).isEnabled(), "Start waits for the model's details");
        assertEquals("opening zz-keras…", browser.findElement(By.id("model-note")).getText());
        waitFor(browser).until(d -> d.findElement(By.id("model-note")).getText().contains("defaults in use"));
        assertTrue(browser.findElement(By.id("start")).isEnabled());
        new Select(browser.findElement(By.id("model"))).selectByValue("tiny");
        waitFor(browser).until(d -> d.findElement(By.id("show-examples")).isDisplayed());
    }

    /**
     * The page opens on the bundled default, emoji-cnn, though another model sorts first; a model that fails to load
     * leaves nothing of the previous one to run (no layers, no description, Start and the galleries disabled) until a
     * usable one is picked. Without emoji-cnn the page opens on the first model that loads.
     */
    @Test
    void thePageOpensOnTheBundledDefaultAndAModelThatFailsToLoadLeavesNothingToRun(@TempDir Path dir) throws Exception {
        try (var bundled = Files.newDirectoryStream(Path.of("models"), "emoji-cnn*")) {
            for (Path f : bundled) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        FixtureModels.writeLeNet(dir, "effb0");
        // Listed as usable (its files are there), it fails when loaded: its metadata's default view names no layer of it.
        FixtureModels.writeLeNet(dir, "aa-broken");
        String json = Files.readString(dir.resolve("aa-broken.json"));
        Files.writeString(dir.resolve("aa-broken.json"), json.substring(0, json.lastIndexOf('}'))
                + ",\"defaultView\":{\"layer\":\"conv9\",\"filter\":0}}");
        FilterScopeServer bundled = FilterScopeServer.startAndWait(ServerConfig.defaults(dir).withPort(0));
        try {
            browser.get("http://127.0.0.1:" + bundled.port() + "/");
            waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getOptions().size() > 0);
            assertEquals("emoji-cnn", new Select(browser.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value"));
            assertEquals("conv5", new Select(browser.findElement(By.id("layer"))).getFirstSelectedOption().getAttribute("value"));

            new Select(browser.findElement(By.id("model"))).selectByValue("aa-broken");
            waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getOptions().isEmpty());
            assertTrue(status(browser).contains("unknown layer 'conv9'"), status(browser));
            assertTrue(browser.findElement(By.id("status")).getAttribute("class").contains("error"), status(browser));
            assertEquals(status(browser), browser.findElement(By.id("model-note")).getText(), "the error, not emoji-cnn's description");
            for (String button : List.of("start", "gallery", "class-gallery", "upload")) {
                assertFalse(browser.findElement(By.id(button)).isEnabled(), button + " is disabled");
            }
            assertFalse(browser.findElement(By.id("show-examples")).isDisplayed());

            new Select(browser.findElement(By.id("model"))).selectByValue("effb0");
            waitFor(browser).until(d -> d.findElement(By.id("start")).isEnabled());
            assertEquals("conv2", new Select(browser.findElement(By.id("layer"))).getFirstSelectedOption().getAttribute("value"));
            browser.findElement(By.id("start")).click();
            waitFor(browser).until(d -> step(d) > 0);
        } finally {
            bundled.closeAndWait();
        }
        for (Path f : Files.newDirectoryStream(dir, "emoji-cnn*")) {
            Files.delete(f);
        }
        FilterScopeServer without = FilterScopeServer.startAndWait(ServerConfig.defaults(dir).withPort(0));
        try {
            browser.get("http://127.0.0.1:" + without.port() + "/");
            waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getOptions().size() > 0);
            assertEquals("effb0", new Select(browser.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value"),
                    "aa-broken, listed first, does not load");
            assertTrue(browser.findElement(By.id("start")).isEnabled());
            // Not the user's pick: no error about it, and the list says it cannot be used.
            assertFalse(browser.findElement(By.id("status")).getAttribute("class").contains("error"), status(browser));
            WebElement broken = browser.findElement(By.cssSelector("#model option[value='aa-broken']"));
            assertEquals("aa-broken (unavailable)", broken.getText());
            assertFalse(broken.isEnabled());
            assertTrue(broken.getAttribute("title").contains("unknown layer 'conv9'"), broken.getAttribute("title"));
        } finally {
            without.closeAndWait();
        }
    }

    @Test
    void aModelOpensOnItsDefaultViewAndTheNextOneWithoutOneOnTheDefaults() {
        load(browser);
        assertEquals("data-prior", new Select(browser.findElement(By.id("preset"))).getFirstSelectedOption().getAttribute("value"));
        new Select(browser.findElement(By.id("model"))).selectByValue("viewed");
        waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getFirstSelectedOption().getAttribute("value").equals("conv3"));
        assertEquals("7", browser.findElement(By.id("filter")).getAttribute("value"));
        assertEquals("seed-smooth", new Select(browser.findElement(By.id("preset"))).getFirstSelectedOption().getAttribute("value"));
        new Select(browser.findElement(By.id("model"))).selectByValue("tiny");
        waitFor(browser).until(d -> new Select(d.findElement(By.id("layer"))).getFirstSelectedOption().getAttribute("value").equals("conv2"));
        assertEquals("0", browser.findElement(By.id("filter")).getAttribute("value"));
        assertEquals("data-prior", new Select(browser.findElement(By.id("preset"))).getFirstSelectedOption().getAttribute("value"));
    }

    @Test
    void anErrorIsShownClearly() {
        load(browser);
        browser.findElement(By.id("size")).clear();
        browser.findElement(By.id("size")).sendKeys("2");
        browser.findElement(By.id("start")).click();
        waitFor(browser).until(d -> d.findElement(By.id("status")).getAttribute("class").contains("error"));
        assertTrue(status(browser).contains("size"), status(browser));
    }

    /**
     * Starting a run stops the page's previous one, which may have ended meanwhile: the server's not_found for that
     * stop is no news to the user and must not replace the status with an error; a stop the user asked for still shows it.
     */
    @Test
    void stoppingAReplacedRunThatHadEndedShowsNoError() {
        load(browser);
        JavascriptExecutor js = (JavascriptExecutor) browser;
        js.executeScript("window.shownErrors = []; const s = document.getElementById('status');"
                + "new MutationObserver(() => { if (s.className === 'error') window.shownErrors.push(s.textContent); })"
                + ".observe(s, { attributes: true, childList: true, subtree: true, characterData: true });");
        // The server answers one socket's messages in order: the tagged stop's not_found comes first.
        js.executeScript("stopReplaced('r000000000001'); send({ op: 'stop', run: 'r000000000002' });");
        waitFor(browser).until(d -> js.executeScript("return window.shownErrors.join('|')").toString().contains("r000000000002"));
        String shown = js.executeScript("return window.shownErrors.join('|')").toString();
        assertFalse(shown.contains("r000000000001"), shown);
    }

    /** Makes the page keep each WebSocket message it sends in {@code window.sent}. */
    static final String RECORD_SENT = "window.sent = []; const sendNow = send;"
            + " send = (m) => { window.sent.push(m); sendNow(m); };";

    /** The messages the page sent since {@link #RECORD_SENT} of {@code op}, as JSON text. */
    static List<?> sent(WebDriver browser, String op) {
        return (List<?>) ((JavascriptExecutor) browser).executeScript(
                "return window.sent.filter((m) => m.op === arguments[0]).map((m) => JSON.stringify(m));", op);
    }

    /**
     * Picking another model stops the gallery shown and takes its pager with it: its "next" sent the new model with the
     * old layer, above empty tiles, and the old gallery's run went on (fresh17).
     */
    @Test
    void pickingAModelStopsTheGalleryShownAndHidesItsPager() throws Exception {
        load(browser);
        JavascriptExecutor js = (JavascriptExecutor) browser;
        // The first gallery page is answered too_large here, so the page asks for half of conv2's 32 filters and shows
        // a pager; that page's run, paced at a step a second, is still rendering when another model is picked.
        js.executeScript(RECORD_SENT + " const paced = send; send = (m) => { if (m.tag !== 'gallery') return paced(m);"
                + " if (window.refused) return paced({ ...m, pace: 1 }); window.refused = true;"
                + " setTimeout(() => onEvent({ type: 'error', code: 'too_large', tag: 'gallery', message: 'too large' })); };");
        browser.findElement(By.id("gallery")).click();
        waitFor(browser).until(d -> js.executeScript("return state.galleryRun") != null);
        assertTrue(browser.findElement(By.id("gallery-pager")).isDisplayed());
        assertEquals("filters 0-15 of 32", browser.findElement(By.id("gallery-page")).getText());
        String galleryRun = (String) js.executeScript("return state.galleryRun");
        // As if it still waited for its network: its waiting line must go with it (fresh18 saw it stay up). It is the
        // gallery's, beside its tiles: the live run's line stays empty (page19: it stood beside a later run's "starting…").
        // Shown and read in one script: the run's first step may reach the page between two scripts and replace the line.
        assertEquals(List.of("waiting: compiling tiny for 16 images of 28 px", ""), js.executeScript(
                "onEvent({ type: 'preparing', run: state.galleryRun, reason: 'compiling tiny for 16 images of 28 px',"
                + " tag: 'gallery' }); return [$('gallery-progress').textContent, $('queue').textContent];"));

        new Select(browser.findElement(By.id("model"))).selectByValue("viewed");
        waitFor(browser).until(d -> d.findElement(By.id("start")).isEnabled());
        assertEquals("", js.executeScript("return $('queue').textContent"), "no waiting line of tiny's gallery");
        assertFalse(status(browser).contains("compiling tiny"), status(browser));
        assertFalse(browser.findElement(By.id("gallery-pager")).isDisplayed(), "no pager of tiny's gallery");
        assertFalse(browser.findElement(By.id("gallery-progress")).isDisplayed());
        assertEquals(0, browser.findElements(By.cssSelector("#gallery-grid figure")).size());
        assertTrue(sent(browser, "stop").stream().anyMatch(m -> m.toString().contains(galleryRun)), sent(browser, "stop").toString());
        // Its 64 steps at one a second would run on for a minute.
        waitFor(browser).until(d -> {
            try {
                return health(server.port(), null).getInteger("runsActive") == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * While a picked model's details are on their way, nothing the previous model left on the page starts a run: its
     * gallery's tiles and its channel's Visualize button started runs of the model no longer picked (fresh17).
     */
    @Test
    void whileAPickedModelOpensNothingOfThePreviousOneStartsARun() throws Exception {
        load(browser);
        browser.findElement(By.id("upload")).sendKeys(circlePng("channel").toAbsolutePath().toString());
        waitFor(browser).until(d -> d.findElements(By.cssSelector("#maps img[src^='data:image/png']")).size() >= 32);
        browser.findElements(By.cssSelector("#maps button.tile")).get(0).click();
        waitFor(browser).until(d -> d.findElement(By.id("visualize-channel")).isDisplayed());
        browser.findElement(By.id("gallery")).click();
        waitFor(browser).until(d -> status(d).contains("gallery completed"));
        JavascriptExecutor js = (JavascriptExecutor) browser;
        js.executeScript(RECORD_SENT + " const real = window.fetch; window.fetch = (...a) => real(...a).then((r) =>"
                + " new Promise((done) => setTimeout(() => done(r), String(a[0]).includes('/api/models/zz-keras') ? 3000 : 0)));");

        new Select(browser.findElement(By.id("model"))).selectByValue("zz-keras");
        Number clicked = (Number) js.executeScript("const shown = [...document.querySelectorAll("
                + "'#gallery-grid button, #visualize-channel, #gallery-pager button')].filter((b) => b.checkVisibility());"
                + " shown.forEach((b) => b.click()); return shown.length;");
        assertEquals("opening zz-keras…", browser.findElement(By.id("model-note")).getText(), "clicked while it opened");
        List<?> starts = sent(browser, "start");
        assertEquals(0, starts.size(), starts.isEmpty() ? "" : starts.size() + " starts, the first " + starts.get(0));
        assertEquals(0, clicked.intValue(), "nothing of tiny's left to click");
        waitFor(browser).until(d -> d.findElement(By.id("model-note")).getText().contains("defaults in use"));
        assertTrue(browser.findElement(By.id("start")).isEnabled());
        assertTrue(browser.findElement(By.id("gallery")).isEnabled());
    }

    /**
     * A start the server refuses once its model is read (here a layer without a map at 8 px) is answered by an error
     * with its tag and no done: the page's wait ends with the error, Stop disabled (fresh17: "waiting: loading model"
     * stayed, and Stop answered "no run").
     */
    @Test
    void aStartRefusedAfterPreparingEndsItsWait() {
        load(browser);
        ((JavascriptExecutor) browser).executeScript("const q = document.getElementById('queue'); window.queueTexts = [];"
                + " new MutationObserver(() => window.queueTexts.push(q.textContent)).observe(q, {childList: true, characterData: true, subtree: true});");
        new Select(browser.findElement(By.id("model"))).selectByValue("unstarted");
        waitFor(browser).until(d -> d.findElement(By.id("start")).isEnabled());
        new Select(browser.findElement(By.id("layer"))).selectByValue("conv3");
        browser.findElement(By.id("size")).clear();
        browser.findElement(By.id("size")).sendKeys("8");
        browser.findElement(By.id("start")).click();
        waitFor(browser).until(d -> d.findElement(By.id("status")).getAttribute("class").contains("error"));
        assertTrue(status(browser).contains("layer conv3 of unstarted has no map at 8 px"), status(browser));
        List<?> shown = (List<?>) ((JavascriptExecutor) browser).executeScript("return window.queueTexts");
        assertTrue(shown.contains("waiting: loading model unstarted"), shown.toString());
        assertEquals("", browser.findElement(By.id("queue")).getText(), "nothing waits");
        assertFalse(browser.findElement(By.id("stop")).isEnabled());
        assertTrue(browser.findElement(By.id("start")).isEnabled());
    }
}
