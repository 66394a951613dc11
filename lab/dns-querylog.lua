-- lab/dns-querylog.lua - the DNS server's query log, as upstream's lab
-- keeps it: for every answer the recursor gives, one line per record
-- (answer, authority or additional), logged at level Error so that it
-- passes the recursor's loglevel while its chatter does not:
--   RCODE     (     ASKING HOST) QNAME                     TTL  IN  TYPE  ANSWER
-- TTL and ANSWER are those of the last answer-section record seen so far
-- (blank before the first), as upstream's hook prints them. The asking host
-- is named by the zones' PTR records (a table lab/dns.sh writes, named by
-- $SMTPBOOK_PTR), or shown by its address.

local qtypes = { [1] = "A", [2] = "NS", [5] = "CNAME", [6] = "SOA", [12] = "PTR",
                 [15] = "MX", [16] = "TXT", [28] = "AAAA", [33] = "SRV", [255] = "ANY" }
local rcodes = { [0] = "NOERROR", [1] = "FORMERR", [2] = "SERVFAIL", [3] = "NXDOMAIN",
                 [4] = "NOTIMP", [5] = "REFUSED" }

local names = {}
local table_file = os.getenv("SMTPBOOK_PTR")
if table_file then
  local chunk = loadfile(table_file)
  if chunk then names = chunk() or {} end
end

function postresolve(dq)
  local who = dq.remoteaddr:toString()
  local qtype = qtypes[dq.qtype] or tostring(dq.qtype)
  local rcode = rcodes[dq.rcode] or tostring(dq.rcode)
  local ttl, answer = " ", " "
  for _, rec in ipairs(dq:getRecords()) do
    if rec.place == 1 then
      ttl, answer = rec.ttl, rec:getContent()
    end
    pdnslog(string.format("%-9s (%16s) %-26s\t%5s\tIN\t%4s\t%s", rcode, names[who] or who,
                          dq.qname:toString(), ttl, qtype, answer), pdns.loglevels.Error)
  end
  return false
end
