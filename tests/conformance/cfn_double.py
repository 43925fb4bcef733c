"""A scripted CloudFormation double: the CloudFormation Query API (form-encoded POST, XML
responses, as the AWS SDK speaks it) on a loopback port, for what moto cannot show — stacks
that stay IN_PROGRESS until the test moves them on, rollbacks, throttling and 5xx answers,
CancelUpdateStack. It runs in the test's process (a thread); the test reads and changes its
stacks directly and scripts failures per action."""

import datetime
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


class Stack:
    def __init__(self, name, template):
        self.name = name
        self.id = f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{name}/{uuid.uuid4()}"
        self.template = template
        self.status = "CREATE_IN_PROGRESS"
        self.reason = ""
        self.outputs = {}
        self.resources = []
        self.events = []  # (logical id, status, reason)


class Double:
    def __init__(self, tls=None):
        """`tls`: (certificate chain file, key file) to serve HTTPS instead of HTTP."""
        self.stacks: dict[str, Stack] = {}
        self.calls: list[str] = []
        # Action -> list of (HTTP status, error code, message) answered before the real work,
        # one per call.
        self.failures: dict[str, list[tuple[int, str, str]]] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def count(self, action):
        with self.lock:
            return self.calls.count(action)

    def set(self, name, status, reason="", outputs=None, resources=None, events=None):
        with self.lock:
            s = self.stacks[name]
            s.status, s.reason = status, reason
            if outputs is not None:
                s.outputs = outputs
            if resources is not None:
                s.resources = resources
            if events is not None:
                s.events = events

    def _handler(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                params = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                action = params.get("Action", "")
                with double.lock:
                    double.calls.append(action)
                    scripted = double.failures.get(action)
                    failure = scripted.pop(0) if scripted else None
                    if failure:
                        status, code, message = failure
                        self._error(status, code, message)
                        return
                    handler = getattr(double, f"_{action}", None)
                    if handler is None:
                        self._error(400, "InvalidAction", f"{action} is not scripted")
                        return
                    result = handler(params)
                if isinstance(result, tuple):
                    self._error(*result)
                else:
                    self._reply(action, result)

            def _reply(self, action, inner):
                xml = (f'<{action}Response xmlns="{NS}"><{action}Result>{inner}</{action}Result>'
                       f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
                       f"</{action}Response>")
                self._send(200, xml)

            def _error(self, status, code, message):
                xml = (f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
                       f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
                       "</ErrorResponse>")
                self._send(status, xml)

            def _send(self, status, xml):
                data = xml.encode()
                self.send_response(status)
                self.send_header("content-type", "text/xml")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    # --- actions (called with the lock held) ------------------------------------------------

    def _missing(self, name):
        return 400, "ValidationError", f"Stack with id {name} does not exist"

    def _DescribeStacks(self, p):
        s = self.stacks.get(p.get("StackName"))
        if s is None:
            return self._missing(p.get("StackName"))
        outputs = "".join(f"<member><OutputKey>{escape(k)}</OutputKey><OutputValue>{escape(v)}</OutputValue></member>"
                          for k, v in s.outputs.items())
        reason = f"<StackStatusReason>{escape(s.reason)}</StackStatusReason>" if s.reason else ""
        return (f"<Stacks><member><StackName>{s.name}</StackName><StackId>{s.id}</StackId>"
                f"<CreationTime>{now()}</CreationTime><StackStatus>{s.status}</StackStatus>{reason}"
                f"<Outputs>{outputs}</Outputs></member></Stacks>")

    def _CreateStack(self, p):
        name = p["StackName"]
        if name in self.stacks and self.stacks[name].status != "DELETE_COMPLETE":
            return 400, "AlreadyExistsException", f"Stack [{name}] already exists"
        self.stacks[name] = Stack(name, p.get("TemplateBody", ""))
        return f"<StackId>{self.stacks[name].id}</StackId>"

    def _UpdateStack(self, p):
        s = self.stacks.get(p["StackName"])
        if s is None:
            return self._missing(p["StackName"])
        if s.template == p.get("TemplateBody", ""):
            return 400, "ValidationError", "No updates are to be performed."
        if s.status.endswith("_IN_PROGRESS"):
            return 400, "ValidationError", f"Stack {s.name} is in {s.status} state and can not be updated."
        s.template, s.status, s.reason = p.get("TemplateBody", ""), "UPDATE_IN_PROGRESS", ""
        return f"<StackId>{s.id}</StackId>"

    def _DeleteStack(self, p):
        s = self.stacks.get(p["StackName"])
        if s is not None and s.status != "DELETE_COMPLETE":
            s.status, s.reason = "DELETE_IN_PROGRESS", ""
        return ""

    def _CancelUpdateStack(self, p):
        s = self.stacks.get(p["StackName"])
        if s is None:
            return self._missing(p["StackName"])
        if s.status != "UPDATE_IN_PROGRESS":
            return 400, "ValidationError", f"CancelUpdateStack cannot be called from current stack status {s.status}"
        s.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        s.reason = "User Initiated"
        return ""

    def _ListStackResources(self, p):
        s = self.stacks.get(p["StackName"])
        if s is None:
            return self._missing(p["StackName"])
        members = "".join(
            f"<member><LogicalResourceId>{lid}</LogicalResourceId><PhysicalResourceId>{pid}</PhysicalResourceId>"
            f"<ResourceType>{rtype}</ResourceType><LastUpdatedTimestamp>{now()}</LastUpdatedTimestamp>"
            f"<ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>"
            for lid, pid, rtype in s.resources)
        return f"<StackResourceSummaries>{members}</StackResourceSummaries>"

    def _DescribeStackEvents(self, p):
        s = self.stacks.get(p["StackName"])
        if s is None:
            return self._missing(p["StackName"])
        # Newest first, as CloudFormation lists them.
        members = "".join(
            f"<member><StackId>{s.id}</StackId><EventId>{uuid.uuid4()}</EventId><StackName>{s.name}</StackName>"
            f"<LogicalResourceId>{lid}</LogicalResourceId><Timestamp>{now()}</Timestamp>"
            f"<ResourceStatus>{status}</ResourceStatus><ResourceStatusReason>{escape(reason)}</ResourceStatusReason>"
            f"</member>"
            for lid, status, reason in reversed(s.events))
        return f"<StackEvents>{members}</StackEvents>"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
