package io.filterscope.server.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A gallery larger than one run may be (a model of 1,000 classes; one run renders at most 512 images, and a step may
 * be over the server's time or memory limit) shows a page of it, as large as the server takes, with the rest a click
 * away: a newcomer's "Gallery of classes" on a torchvision model failed outright.
 */
class GalleryPagesTest {
    @TempDir
    Path models;

    @Test
    void aThousandClassGalleryShowsThePageTheServerTakesAndTurnsToTheNext() throws Exception {
        FixtureModels.writeLeNet(models, "thousand", IntStream.range(0, 1000).mapToObj(k -> "c" + k).toList());
        FilterScopeServer server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        WebDriver browser = ExplorerPageTest.chromium();
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(120));
            browser.get("http://127.0.0.1:" + server.port() + "/");
            wait.until(d -> new Select(d.findElement(By.id("layer"))).getOptions().size() > 0);
            browser.findElement(By.id("class-gallery")).click();
            wait.until(d -> d.findElement(By.id("gallery-pager")).isDisplayed()
                    && d.findElement(By.id("status")).getText().startsWith("run "));
            Matcher page = Pattern.compile("classes 0-(\\d+) of 1000").matcher(browser.findElement(By.id("gallery-page")).getText());
            assertTrue(page.matches(), browser.findElement(By.id("gallery-page")).getText());
            int last = Integer.parseInt(page.group(1));
            assertTrue(last + 1 <= 512, "at most one run's 512 images: " + last);
            assertEquals(last + 1, browser.findElements(By.cssSelector("#gallery-grid figure")).size());
            assertFalse(browser.findElement(By.id("status")).getAttribute("class").contains("error"),
                    "no error left shown: " + browser.findElement(By.id("status")).getText());
            assertFalse(browser.findElement(By.id("gallery-previous")).isEnabled());
            // The page's progress shows as its frames arrive, beside the gallery and in the list of runs. A first step
            // compiles the network for the page's batch: over a minute once in a busy test JVM (see StepTimeTest).
            new WebDriverWait(browser, Duration.ofSeconds(240))
                    .withMessage(() -> browser.findElement(By.id("gallery-progress")).getText() + " | "
                    + browser.findElement(By.id("runs")).getText() + " | " + browser.findElement(By.id("status")).getText())
                    .until(d -> d.findElement(By.id("gallery-progress")).getText().matches("step [1-9]\\d* / \\d+")
                    && d.findElement(By.id("runs")).getText().matches("(?s).*running · step [1-9]\\d*/\\d+ · yours.*"));
            ((JavascriptExecutor) browser).executeScript("window.statuses = [];"
                    + "new MutationObserver(() => window.statuses.push(document.getElementById('status').textContent))"
                    + ".observe(document.getElementById('status'), { childList: true, characterData: true, subtree: true });");

            browser.findElement(By.id("gallery-next")).click();
            int size = last + 1;
            String next = "classes " + size + "-" + Math.min(999, 2 * size - 1) + " of 1000";
            wait.until(d -> d.findElement(By.id("gallery-page")).getText().equals(next));
            // The page left was not judged: it says so, and nothing of dead classes.
            String left = "classes 0-" + last + " left; showing " + next.replace(" of 1000", "");
            // The page left ends with its current step, as slow as the one before under a loaded test JVM.
            new WebDriverWait(browser, Duration.ofSeconds(240))
                    .withMessage(() -> "statuses " + statuses(browser) + " | " + browser.findElement(By.id("gallery-page")).getText()
                            + " | " + browser.findElement(By.id("runs")).getText())
                    .until(d -> statuses(d).contains(left));
            assertTrue(statuses(browser).stream().noneMatch(t -> t.contains("dead")), statuses(browser).toString());
            assertTrue(browser.findElement(By.id("gallery-previous")).isEnabled());
            List<String> labels = browser.findElements(By.cssSelector("#gallery-grid figure button")).stream()
                    .map(b -> b.getAttribute("aria-label")).toList();
            assertTrue(labels.get(0).contains("class " + size), labels.get(0));
        } finally {
            browser.quit();
            server.closeAndWait();
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> statuses(WebDriver browser) {
        return (List<String>) ((JavascriptExecutor) browser).executeScript("return window.statuses;");
    }
}
