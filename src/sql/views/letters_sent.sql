-- view: letters_sent
-- label: 函件发出与答复 | Letters sent and answered
-- as_of_function: letters_sent_as_of
-- description: Letters sent per plan year, department and kind as of a date D (letter_replies):
-- sent by D, answered on time, answered late, awaiting a reply within its deadline, and
-- unanswered past the deadline.
-- column year: 年度 | the plan year the letters are about
-- column department: 主管部门 | competent department, normalised name
-- column kind: 函件类型 | notice (便函) or urge (督促函) | short: 函件
-- column sent: 已发函件 | letters sent by D
-- column answered_on_time: 按期答复 | replied on or before the deadline
-- column answered_late: 逾期答复 | replied after the deadline
-- column awaiting: 待答复 | no reply yet, the deadline not passed
-- column unanswered: 逾期未答复 | no reply, the deadline passed
-- column as_of: 统计日期 | the date the row is evaluated on
SELECT year, department, kind,
       CAST(SUM(CASE WHEN reply <> 'not_issued' THEN 1 ELSE 0 END) AS BIGINT) AS sent,
       CAST(SUM(CASE WHEN reply = 'answered_on_time' THEN 1 ELSE 0 END) AS BIGINT) AS answered_on_time,
       CAST(SUM(CASE WHEN reply = 'answered_late' THEN 1 ELSE 0 END) AS BIGINT) AS answered_late,
       CAST(SUM(CASE WHEN reply = 'awaiting' THEN 1 ELSE 0 END) AS BIGINT) AS awaiting,
       CAST(SUM(CASE WHEN reply = 'unanswered' THEN 1 ELSE 0 END) AS BIGINT) AS unanswered,
       {{as_of}} AS as_of
FROM letter_replies_as_of({{as_of}})
GROUP BY year, department, kind
