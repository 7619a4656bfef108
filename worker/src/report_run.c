/* report_run: what only a live run knows, written around the connection
 * fragment (report.c) into a run's document: its params, TCP_INFO, the
 * capture's counters, the integrity of the bytes, the times, and what a
 * link did. As a tree (wm_report_run) or as the daemon's text
 * (wm_report_run_text): one builder, json_emit.h. */
#include "report_internal.h"

#include "params_emit.h"

static void tcp_info_emit(emit *e, const wm_tcp_stats *s)
{
    if (!s->valid) {
        emit_null(e, "tcp_info");
        return;
    }
    emit_object(e, "tcp_info");
    emit_int(e, "rtt_us", (json_int_t)s->rtt_us);
    emit_int(e, "rttvar_us", (json_int_t)s->rttvar_us);
    emit_int(e, "snd_cwnd", (json_int_t)s->snd_cwnd);
    emit_int(e, "snd_mss", (json_int_t)s->snd_mss);
    emit_int(e, "rcv_mss", (json_int_t)s->rcv_mss);
    emit_int(e, "total_retrans", (json_int_t)s->total_retrans);
    emit_int(e, "retransmits", (json_int_t)s->retransmits);
    emit_string(e, "congestion", s->congestion);
    emit_end(e);
}

static void capture_emit(emit *e, const char *key, const wm_capture_stats *c,
                         const wm_trace *trace)
{
    emit_object(e, key);
    emit_string(e, "interface", c->interface);
    emit_int(e, "received", (json_int_t)c->received);
    emit_int(e, "dropped", (json_int_t)c->dropped);
    emit_int(e, "if_dropped", (json_int_t)c->if_dropped);
    emit_int(e, "snaplen", (json_int_t)c->snaplen);
    emit_bool(e, "complete", c->complete);
    emit_int(e, "frames", (json_int_t)trace->frames);
    emit_int(e, "malformed", (json_int_t)trace->malformed);
    emit_int(e, "not_tcp", (json_int_t)trace->not_tcp);
    report_fragments(e, trace);
    emit_end(e);
}

static void integrity_emit(emit *e, const wm_integrity *i)
{
    emit_object(e, "integrity");
    emit_int(e, "expected_bytes", (json_int_t)i->expected_bytes);
    emit_int(e, "received_bytes", (json_int_t)i->received_bytes);
    report_int_if(e, "first_mismatch", i->mismatch, (json_int_t)i->mismatch_offset);
    emit_bool(e, "verified", i->verified);
    emit_end(e);
}

static void ends_direction_emit(emit *e, const char *key,
                                const wm_ends_direction *d)
{
    bool any = d->matched_frames > 0;
    json_int_t mean = any ? (json_int_t)(d->transit_sum_ns /
                                         (int64_t)d->matched_frames) : 0;
    emit_object(e, key);
    emit_int(e, "sent_frames", (json_int_t)d->sent_frames);
    emit_int(e, "sent_bytes", (json_int_t)d->sent_bytes);
    emit_int(e, "received_frames", (json_int_t)d->received_frames);
    emit_int(e, "received_bytes", (json_int_t)d->received_bytes);
    emit_int(e, "lost_frames", (json_int_t)d->lost_frames);
    emit_int(e, "lost_bytes", (json_int_t)d->lost_bytes);
    emit_int(e, "both_ends_frames", (json_int_t)d->matched_frames);
    emit_int(e, "unmatched_frames", (json_int_t)d->unmatched_frames);
    report_int_if(e, "transit_min_ns", any, d->transit_min_ns);
    report_int_if(e, "transit_mean_ns", any, mean);
    report_int_if(e, "transit_max_ns", any, d->transit_max_ns);
    emit_end(e);
}

/* What the link did, from its two ends' captures; null when only the
 * receiver's end was captured (a loopback run has one end). */
static void ends_emit(emit *e, const wm_run_result *result)
{
    if (!result->has_ends) {
        emit_null(e, "ends");
        return;
    }
    emit_object(e, "ends");
    ends_direction_emit(e, "sender_to_receiver",
                        &result->ends.dir[WM_ENDS_FROM_SENDER]);
    ends_direction_emit(e, "receiver_to_sender",
                        &result->ends.dir[WM_ENDS_TO_SENDER]);
    emit_end(e);
}

static void link_loss_emit(emit *e, const char *key, const wm_path_loss *l)
{
    emit_object(e, key);
    emit_int(e, "tcp_frames", (json_int_t)l->tcp_frames);
    emit_int(e, "dropped_frames", (json_int_t)l->dropped_frames);
    emit_end(e);
}

/* What the link said of itself; null on loopback. */
static void link_emit(emit *e, const wm_run_result *result)
{
    if (!result->has_link) {
        emit_null(e, "link");
        return;
    }
    emit_object(e, "link");
    emit_int(e, "setup_ns", (json_int_t)result->link_setup_ns);
    link_loss_emit(e, "loss_to_client", &result->link_loss[WM_PATH_CLIENT]);
    link_loss_emit(e, "loss_to_server", &result->link_loss[WM_PATH_SERVER]);
    if (result->has_sender_capture)
        capture_emit(e, "sender_capture", &result->sender_capture,
                     &result->sender_trace);
    else
        emit_null(e, "sender_capture");
    emit_end(e);
}

static void run_emit(emit *e, const wm_run_request *request,
                     const wm_run_result *result, unsigned flags)
{
    emit_object(e, NULL);
    emit_int(e, "schema", WM_REPORT_SCHEMA);
    params_emit(e, "params", request);
    report_connection_fields(e, &result->analysis, result->connection, flags);
    tcp_info_emit(e, &result->transfer.sender);
    ends_emit(e, result);
    capture_emit(e, "capture", &result->capture, &result->trace);
    integrity_emit(e, &result->transfer.integrity);
    emit_int(e, "started_ns", (json_int_t)result->started_ns);
    report_time(e, "started_time", result->started_ns);
    emit_int(e, "finished_ns", (json_int_t)result->finished_ns);
    report_time(e, "finished_time", result->finished_ns);
    link_emit(e, result);
    emit_end(e);
}

json_t *wm_report_run(const wm_run_request *request,
                      const wm_run_result *result, unsigned flags)
{
    emit e;
    emit_start(&e, true);
    run_emit(&e, request, result, flags);
    return emit_tree(&e);
}

char *wm_report_run_text(const wm_run_request *request,
                         const wm_run_result *result, unsigned flags,
                         size_t *len)
{
    emit e;
    emit_start(&e, false);
    run_emit(&e, request, result, flags);
    return emit_finish_text(&e, len);
}
