/* The spot-check form, enhanced: progress as answers are given, notes kept out of
 * the way until an item is not met (or the supervisor asks for one), the next
 * question brought into view after each answer, an optional one-question-at-a-
 * time layout, and the device's time zone. The form works fully without this
 * file. tests/browser/test_audits.py measures both layouts on a 360 px phone. */
'use strict';

(() => {
  function setup(form) {
    const questions = Array.from(form.querySelectorAll('[data-question]'));
    if (!questions.length) return;
    const progress = form.querySelector('[data-progress]');
    const count = form.querySelector('[data-progress-count]');
    let stepped = false;
    let current = 0;

    // Minutes east of UTC, as the server expects (getTimezoneOffset is west).
    const tz = form.querySelector('input[name="tz_offset"]');
    if (tz && !tz.value) tz.value = String(-new Date().getTimezoneOffset());

    // A blank form says "now" by the phone's clock, not when the page was made
    // (the phone may show it from its cache hours later). This script runs
    // before the outbox script, so a kept draft's own time still wins.
    const when = form.querySelector('input[name="conducted_at"][data-default-now]');
    if (when) {
      const d = new Date();
      const pad = (n) => String(n).padStart(2, '0');
      when.value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    }

    function chosen(question) {
      return question.querySelector('input[type="radio"]:checked');
    }
    function needsNote(question) {
      const answer = chosen(question);
      return Boolean(answer && answer.value === 'no' && question.hasAttribute('data-note-required'));
    }

    questions.forEach((question) => {
      const note = question.querySelector('[data-note]');
      if (!note) return;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'app-link-button app-add-note';
      button.textContent = 'Add a note';
      button.addEventListener('click', () => {
        note.dataset.open = 'true';
        update();
        note.querySelector('textarea').focus();
      });
      note.parentNode.insertBefore(button, note);
      question.addNoteButton = button;
    });

    // One question at a time: an alternative layout, measured against scrolling.
    const container = form.querySelector('.app-questions');
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'app-link-button app-layout-toggle';
    toggle.dataset.layoutToggle = '';
    const nav = document.createElement('div');
    nav.className = 'app-stepper';
    nav.hidden = true;
    nav.innerHTML =
      '<button type="button" class="nhsuk-button nhsuk-button--secondary" data-step="back">Back</button>' +
      '<span class="app-stepper__position" data-step-position></span>' +
      '<button type="button" class="nhsuk-button" data-step="next">Next</button>';
    if (container) {
      container.parentNode.insertBefore(toggle, container);
      container.parentNode.insertBefore(nav, container.nextSibling);
    }

    function show(index) {
      current = Math.max(0, Math.min(index, questions.length - 1));
      questions.forEach((q, n) => {
        q.hidden = stepped && n !== current;
      });
      nav.querySelector('[data-step-position]').textContent = `Question ${current + 1} of ${questions.length}`;
      nav.querySelector('[data-step="back"]').disabled = current === 0;
      nav.querySelector('[data-step="next"]').disabled = current === questions.length - 1;
    }
    function setLayout(oneAtATime) {
      stepped = oneAtATime;
      form.classList.toggle('app-stepped', stepped);
      toggle.textContent = stepped ? 'Show all questions' : 'One question at a time';
      nav.hidden = !stepped;
      const firstOpen = questions.findIndex((q) => !chosen(q));
      show(firstOpen === -1 ? 0 : firstOpen);
      if (!stepped)
        questions.forEach((q) => {
          q.hidden = false;
        });
    }
    toggle.addEventListener('click', () => setLayout(!stepped));
    nav.addEventListener('click', (event) => {
      const step = event.target.closest('[data-step]');
      if (!step) return;
      show(current + (step.dataset.step === 'next' ? 1 : -1));
    });

    function update() {
      let answered = 0;
      questions.forEach((question) => {
        const answer = chosen(question);
        if (answer) answered += 1;
        const failed = Boolean(answer && answer.value === 'no');
        question.classList.toggle('app-question--failed', failed);
        question.classList.toggle('app-question--answered', Boolean(answer));
        const note = question.querySelector('[data-note]');
        if (!note) return;
        const textarea = note.querySelector('textarea');
        const showNote =
          failed ||
          textarea.value.trim() !== '' ||
          note.dataset.open === 'true' ||
          question.classList.contains('nhsuk-form-group--error');
        note.hidden = !showNote;
        if (question.addNoteButton) question.addNoteButton.hidden = showNote;
      });
      if (count) count.textContent = String(answered);
      if (progress) {
        progress.hidden = false;
        progress.classList.toggle('app-progress--done', answered === questions.length);
      }
    }

    // After a first answer that needs no note, move on to the next question.
    form.addEventListener('change', (event) => {
      const input = event.target;
      const question = input.closest?.('[data-question]');
      const firstAnswer = question && input.type === 'radio' && !question.dataset.answeredBefore;
      update();
      if (!firstAnswer) return;
      // Only a person's tap moves on, not answers put back from a kept draft.
      if (!event.isTrusted) {
        question.dataset.answeredBefore = 'true';
        return;
      }
      question.dataset.answeredBefore = 'true';
      if (needsNote(question)) return;
      const index = questions.indexOf(question);
      if (index === questions.length - 1) return;
      if (stepped) {
        show(index + 1);
      } else {
        // An instant jump: a smooth scroll makes the next tap wait for it.
        questions[index + 1].scrollIntoView({ block: 'start' });
      }
    });
    questions.forEach((q) => {
      if (chosen(q)) q.dataset.answeredBefore = 'true';
    });
    setLayout(false);
    update();
  }

  document.querySelectorAll('[data-audit-form]').forEach(setup);
})();
