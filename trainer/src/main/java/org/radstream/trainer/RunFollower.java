package org.radstream.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client side of training on demand: asks a running trainer to train a task ({@code POST
 * /train}) and follows that run through {@code GET /runs} until the gate has decided, printing its
 * progress lines (epoch, loss, validation Dice, ETA) as they change. An operator who asks for a run
 * sees it through, as with the cohort command, instead of a bare "queued".
 *
 * <p>The run followed is the first run of the task that started at or after the moment the trainer
 * queued the request (the trainer's clock, from its answer): the trainer runs one task at a time, in
 * the order asked, so a run of the task triggered by its labels just before the request may be the
 * one reported. A run the trainer did not finish because it stopped is run again when it restarts;
 * the follower rides out an unreachable trainer for {@code unreachableLimit} and then reports it.
 */
public final class RunFollower {
    private static final Pattern QUEUED_AT = Pattern.compile("queued at (\\S+)");
    private static final Pattern CANCELLING = Pattern.compile("run started at (\\S+): ");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a followed run ended. */
    public enum End { PUBLISHED, REFUSED, FAILED, CANCELLED }

    /** What a cancel request did: the trainer's answer, and the start of the run in progress it stops, if any. */
    public record Cancel(String answer, Optional<Instant> runStartedAt) {}

    /** A finished run: how it ended, and its entry in {@code GET /runs}. */
    public record Result(End end, JsonNode run) {}

    private final HttpClient http;
    private final URI trainer;
    private final Duration poll;
    private final Duration unreachableLimit;
    private final Consumer<String> out;
    private final String token;

    /**
     * @param trainer          the trainer's HTTP base, e.g. {@code http://localhost:8086}
     * @param poll             how often {@code GET /runs} is read
     * @param unreachableLimit how long the trainer may not answer before following gives up
     * @param out              where the lines an operator reads go
     */
    public RunFollower(HttpClient http, URI trainer, Duration poll, Duration unreachableLimit, Consumer<String> out) {
        this(http, trainer, poll, unreachableLimit, out, null);
    }

    /** @param token the trainer's HTTP token, sent on the requests that change state; null: none */
    public RunFollower(HttpClient http, URI trainer, Duration poll, Duration unreachableLimit, Consumer<String> out,
                       String token) {
        this.http = Objects.requireNonNull(http);
        this.trainer = Objects.requireNonNull(trainer);
        this.poll = Objects.requireNonNull(poll);
        this.unreachableLimit = Objects.requireNonNull(unreachableLimit);
        this.out = Objects.requireNonNull(out);
        this.token = token == null || token.isBlank() ? null : token;
    }

    /** A POST to {@code path}, with the token when there is one. */
    private HttpResponse<String> post(String path) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(trainer.resolve(path)).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 401) {
            throw new IOException("the trainer at " + trainer + " refused the request without its token"
                    + (token == null ? " (none was given: --trainer-token or RADSTREAM_TRAINER_TOKEN)" : " (the one given "
                    + "is not its token)"));
        }
        return r;
    }

    /**
     * Asks the trainer to train {@code task} now and returns when it queued the request, on its clock.
     *
     * @throws IllegalArgumentException the trainer refused the request (its reason in the message)
     * @throws IOException              the trainer did not answer, or answered with an error
     */
    public Instant request(String task) throws IOException, InterruptedException {
        HttpResponse<String> r = post("/train?task=" + task);
        String body = r.body().strip();
        if (r.statusCode() == 400) {
            throw new IllegalArgumentException(body);
        }
        if (r.statusCode() / 100 != 2) {
            throw new IOException("the trainer at " + trainer + " answered " + r.statusCode() + ": " + body);
        }
        out.accept(body);
        Matcher m = QUEUED_AT.matcher(body);
        if (!m.find()) {
            throw new IOException("the trainer at " + trainer + " did not say when it queued the run: '" + body + "'");
        }
        try {
            return Instant.parse(m.group(1));
        } catch (DateTimeParseException e) {
            throw new IOException("the trainer at " + trainer + " answered an unreadable time: '" + body + "'", e);
        }
    }

    /**
     * Asks the trainer to cancel {@code task}'s run in progress and its waiting runs.
     *
     * @throws IllegalArgumentException the trainer refused the request: an unknown task, or nothing to
     *                                  cancel (its reason in the message)
     * @throws IOException              the trainer did not answer, or answered with an error
     */
    public Cancel cancel(String task, String operator, String reason) throws IOException, InterruptedException {
        String query = "task=" + encode(task) + (operator == null ? "" : "&operator=" + encode(operator))
                + (reason == null ? "" : "&reason=" + encode(reason));
        HttpResponse<String> r = post("/runs/cancel?" + query);
        String body = r.body().strip();
        if (r.statusCode() == 400 || r.statusCode() == 409) {
            throw new IllegalArgumentException(body);
        }
        if (r.statusCode() / 100 != 2) {
            throw new IOException("the trainer at " + trainer + " answered " + r.statusCode() + ": " + body);
        }
        out.accept(body);
        Matcher m = CANCELLING.matcher(body);
        try {
            return new Cancel(body, m.find() ? Optional.of(Instant.parse(m.group(1))) : Optional.empty());
        } catch (DateTimeParseException e) {
            throw new IOException("the trainer at " + trainer + " answered an unreadable time: '" + body + "'", e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * Follows the first run of {@code task} that started at or after {@code since} until it has
     * finished, printing its progress and, while another task trains first, what it waits for.
     *
     * @throws IOException the trainer did not answer for longer than the limit
     */
    public Result follow(String task, Instant since) throws IOException, InterruptedException {
        String shown = null;
        Instant lastAnswer = Instant.now();
        boolean reportedUnreachable = false;
        while (true) {
            JsonNode runs;
            try {
                runs = runs(task, since);
                lastAnswer = Instant.now();
                if (reportedUnreachable) {
                    out.accept("the trainer answers again");
                    reportedUnreachable = false;
                }
            } catch (IOException e) {
                if (Duration.between(lastAnswer, Instant.now()).compareTo(unreachableLimit) > 0) {
                    throw new IOException("the trainer at " + trainer + " has not answered for " + unreachableLimit
                            + " (" + reason(e) + "); the " + task + " run may still go on there: see its GET /runs", e);
                }
                if (!reportedUnreachable) {
                    out.accept("the trainer does not answer (" + reason(e) + "); trying again for up to " + unreachableLimit);
                    reportedUnreachable = true;
                }
                Thread.sleep(poll.toMillis());
                continue;
            }
            for (JsonNode run : runs) {
                if (!run.path("task").asText().equals(task) || startedBefore(run, since)) {
                    continue;
                }
                String result = run.path("result").asText();
                if (!result.equals("running")) {
                    Result done = new Result(end(result), run);
                    out.accept(summary(task, done));
                    return done;
                }
            }
            String line = waitingLine(task, since, runs);
            if (line != null && !line.equals(shown)) {
                out.accept(line);
                shown = line;
            }
            Thread.sleep(poll.toMillis());
        }
    }

    /** The task's runs started since {@code since}, and the run in progress last, whatever its task. */
    private JsonNode runs(String task, Instant since) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(trainer.resolve("/runs?task=" + encode(task) + "&since="
                + since)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET /runs answered " + r.statusCode());
        }
        JsonNode list = JSON.readTree(r.body());
        if (!list.isArray()) {
            throw new IOException("GET /runs did not answer a list");
        }
        return list;
    }

    private static boolean startedBefore(JsonNode run, Instant since) {
        try {
            return Instant.parse(run.path("started_at").asText()).isBefore(since);
        } catch (DateTimeParseException e) {
            return true; // a run without a readable start is not one this request queued
        }
    }

    /** The line for the run in progress: ours with its progress, or the one ours waits behind. */
    private static String waitingLine(String task, Instant since, JsonNode runs) {
        if (runs.isEmpty()) {
            return null;
        }
        JsonNode last = runs.get(runs.size() - 1);
        if (!last.path("result").asText().equals("running")) {
            return null;
        }
        if (last.path("task").asText().equals(task) && !startedBefore(last, since)) {
            String progress = last.path("progress").asText();
            return progress.startsWith(task + " ") || progress.startsWith(task + ":") ? progress : task + ": " + progress;
        }
        // once per run waited for, not at each of its epochs
        return "waiting: the trainer is training " + last.path("task").asText() + " first (started "
                + last.path("started_at").asText() + ")";
    }

    /** An I/O failure in words: a refused connection carries no message of its own. */
    private static String reason(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private static End end(String result) {
        return switch (result) {
            case "published" -> End.PUBLISHED;
            case "refused" -> End.REFUSED;
            case "cancelled" -> End.CANCELLED;
            default -> End.FAILED;
        };
    }

    private static String summary(String task, Result r) {
        JsonNode run = r.run();
        return switch (r.end()) {
            case PUBLISHED -> task + " published as version " + run.path("version").asText() + ": "
                    + run.path("decision").asText();
            case REFUSED -> task + " refused by the quality gate: " + run.path("decision").asText()
                    + (run.hasNonNull("kept_refused") ? "; the challenger is kept at " + run.path("kept_refused").asText() : "");
            case FAILED -> task + " failed: " + run.path("failure").asText(run.path("result").asText());
            case CANCELLED -> task + " run " + run.path("cancelled").asText("cancelled") + "; its labels stay untrained";
        };
    }
}
