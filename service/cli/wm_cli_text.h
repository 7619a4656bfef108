/* wm_cli_text: the readable reports of `wiremeter run`, `analyze` and
 * `sweep`, printed from the JSON result documents (docs/result.md), never
 * from engine structs (the sweep's tables too: cli_text_sweep.c).
 *
 * Reading the JSON rather than the structs means the text can never say
 * something the JSON does not: `run` and `run --json` are two renderings of
 * one document, and `analyze` of a pcap prints through the same code as a
 * live run. The layout follows the questions of the networking lab this
 * tool automates: endpoints, the three-way handshake with raw and relative
 * sequence numbers, the closure and who started it, the totals, the start,
 * end and total time, the average packet size. Unknown values (JSON null)
 * print as "-". */
#ifndef WM_CLI_TEXT_H
#define WM_CLI_TEXT_H

#include <jansson.h>
#include <stdio.h>

/* A whole run (wm_report_run): parameters, the connection, tcp_info,
 * capture, integrity, and the packet list when the document has one. */
void wm_cli_text_run(const json_t *run, FILE *out);

/* One connection fragment: endpoints, handshake, closure, totals, timing,
 * average packet size (and its "packets" list when present). */
void wm_cli_text_connection(const json_t *connection, FILE *out);

/* A packet list (array of packet rows) as Wireshark-like columns. */
void wm_cli_text_packets(const json_t *packets, FILE *out);

/* `analyze`, in the pieces it streams (wm_engine_analyze_file_each): the
 * file's counters (and where reading stopped); connection index of count;
 * a packet list's header and its rows one at a time. */
void wm_cli_text_file_head(const json_t *file, size_t connections, FILE *out);
void wm_cli_text_file_connection(const json_t *conn, size_t index,
                                 size_t count, FILE *out);
void wm_cli_text_packets_head(size_t count, FILE *out);
void wm_cli_text_packet_row(const json_t *row, FILE *out);

/* `sweep`: the lab's two tables from the rows of wm_sweep_table_json —
 * size -> packets; size -> start, end, total time; both with the average
 * packet size. With more than one run per size a value reads
 * "median [min..max]". Start and end are UTC clock times of the median
 * sample's first and last packet (cli_text_sweep.c). */
void wm_cli_text_sweep(const json_t *rows, FILE *out);

#endif
